// A small key-value service (DeathStarBench-style storage tier, Memcached's
// role): a seeded stream of SET/GET/DELETE requests parsed from text and
// served from an unordered_map of std::string. Linked with jemalloc, as the
// paper's C++ functions were.
#include <string>
#include <unordered_map>
#include <vector>

#include "driver.hpp"

static std::vector<std::string> make_requests() {
    memento::Rng rng(21);
    std::vector<std::string> requests;
    for (int i = 0; i < 40000; ++i) {
        std::string key = "user:" + std::to_string(rng.below(5000));
        switch (rng.below(10)) {
            case 0: requests.push_back("DEL " + key); break;
            case 1: case 2: case 3: {
                std::string value(16 + rng.below(200), 'a' + rng.below(26));
                requests.push_back("SET " + key + " " + value);
                break;
            }
            default: requests.push_back("GET " + key);
        }
    }
    return requests;
}

static std::string handler(const std::vector<std::string>& requests) {
    std::unordered_map<std::string, std::string> store;
    uint64_t hits = 0, misses = 0, bytes = 0;
    for (const std::string& r : requests) {
        size_t sp = r.find(' ', 4);
        std::string key = r.substr(4, sp == std::string::npos ? std::string::npos : sp - 4);
        if (r[0] == 'S') {
            store[key] = r.substr(sp + 1);
        } else if (r[0] == 'D') {
            store.erase(key);
        } else {
            auto it = store.find(key);
            if (it == store.end()) {
                ++misses;
            } else {
                ++hits;
                bytes += it->second.size();
            }
        }
    }
    return "hits=" + std::to_string(hits) + " misses=" + std::to_string(misses) +
           " bytes=" + std::to_string(bytes) + " keys=" + std::to_string(store.size());
}

int main(int argc, char** argv) {
    std::vector<std::string> requests;
    return memento::run(argc, argv, [&] {
        if (requests.empty()) requests = make_requests();
        return handler(requests);
    });
}
