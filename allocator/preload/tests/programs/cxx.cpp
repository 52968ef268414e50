// The C++ operator new / delete family, including sized, aligned and
// nothrow forms, and a few standard containers. Prints "ok" on success.
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

struct alignas(256) Wide { char b[300]; };

int main() {
    std::map<std::string, std::vector<int>> m;
    for (int i = 0; i < 20000; i++) m["key" + std::to_string(i)].assign(i % 50, i);
    for (int i = 0; i < 20000; i += 2) m.erase("key" + std::to_string(i));
    if (m.size() != 10000) return 1;
    auto *w = new Wide[7];
    if ((uintptr_t)w % 256) return 2;
    delete[] w;
    auto u = std::make_unique<Wide>();
    if ((uintptr_t)u.get() % 256) return 3;
    int *p = new (std::nothrow) int[100];
    if (!p) return 4;
    delete[] p;
    void *q = ::operator new(100, std::align_val_t(4096), std::nothrow);
    if (!q || (uintptr_t)q % 4096) return 5;
    ::operator delete(q, std::align_val_t(4096));
    void *s = ::operator new(48);
    ::operator delete(s, 48);
    std::puts("ok");
    return 0;
}
