// Shared driver of the C++ functions: runs `handler()` --invocations N
// times in one process and prints one line per invocation:
//   memento-invocation ID cold|warm NANOSECONDS RESULT
// Each invocation is bracketed by the capture tool's markers, reached
// through dlopen(getenv("MEMENTO_ROI_LIB")) so that a plain run needs no
// library at all (the markers then do nothing).
#pragma once

#include <dlfcn.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace memento {

struct Markers {
    void (*roi_begin)() = nullptr;
    void (*roi_end)() = nullptr;
    void (*invocation_begin)(unsigned long long) = nullptr;
    void (*invocation_end)(unsigned long long) = nullptr;

    Markers() {
        const char* path = std::getenv("MEMENTO_ROI_LIB");
        if (path == nullptr || *path == '\0') return;
        void* lib = dlopen(path, RTLD_NOW);
        if (lib == nullptr) return;
        roi_begin = reinterpret_cast<void (*)()>(dlsym(lib, "memento_roi_begin"));
        roi_end = reinterpret_cast<void (*)()>(dlsym(lib, "memento_roi_end"));
        invocation_begin = reinterpret_cast<void (*)(unsigned long long)>(
            dlsym(lib, "memento_invocation_begin"));
        invocation_end = reinterpret_cast<void (*)(unsigned long long)>(
            dlsym(lib, "memento_invocation_end"));
    }
};

// FNV-1a, for short printable digests of outputs.
inline uint64_t fnv1a(const std::string& s, uint64_t h = 1469598103934665603ULL) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    return h;
}

inline std::string hex(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// A small seeded generator (xorshift64*), the same on every platform.
struct Rng {
    uint64_t state;
    explicit Rng(uint64_t seed) : state(seed * 0x9E3779B97F4A7C15ULL + 1) {}
    uint64_t next() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 2685821657736338717ULL;
    }
    uint64_t below(uint64_t n) { return next() % n; }
};

// The input size: MEMENTO_INPUT_SIZE when set (a function's smaller
// `sample` input in manifest.toml), else `default_size`.
inline long input_size(long default_size) {
    const char* v = std::getenv("MEMENTO_INPUT_SIZE");
    if (v == nullptr || *v == '\0') return default_size;
    long n = std::strtol(v, nullptr, 10);
    if (n < 1) {
        std::fprintf(stderr, "MEMENTO_INPUT_SIZE: `%s` is not a number >= 1\n", v);
        std::exit(2);
    }
    return n;
}

template <typename Handler>
int run(int argc, char** argv, Handler handler) {
    long invocations = 1;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--invocations") == 0 && i + 1 < argc) {
            invocations = std::strtol(argv[++i], nullptr, 10);
        }
    }
    if (invocations < 1) {
        std::fprintf(stderr, "--invocations must be at least 1\n");
        return 2;
    }
    Markers m;
    if (m.roi_begin) m.roi_begin();
    for (long i = 0; i < invocations; ++i) {
        if (m.invocation_begin) m.invocation_begin(i);
        auto start = std::chrono::steady_clock::now();
        std::string result = handler();
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
        if (m.invocation_end) m.invocation_end(i);
        std::printf("memento-invocation %ld %s %lld %s\n", i, i == 0 ? "cold" : "warm",
                    static_cast<long long>(ns), result.c_str());
        std::fflush(stdout);
    }
    if (m.roi_end) m.roi_end();
    return 0;
}

}  // namespace memento
