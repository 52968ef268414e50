// An inverted text index (a search service's indexing function): seeded
// documents are tokenised, each word mapped to its posting list in a
// std::map, then a few conjunctive queries are answered.
#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "driver.hpp"

static const char* kWords[] = {"memory", "arena",  "page",   "object", "lane",  "cache",
                               "bypass", "kernel", "fault",  "heap",   "size",  "class",
                               "alloc",  "free",   "region", "pool",   "table", "bitmap"};

static std::vector<std::string> make_documents() {
    memento::Rng rng(22);
    std::vector<std::string> docs;
    for (int d = 0; d < 1500; ++d) {
        std::string text;
        int n = 20 + static_cast<int>(rng.below(60));
        for (int w = 0; w < n; ++w) {
            text += kWords[rng.below(18)];
            text += std::to_string(rng.below(40));
            text += ' ';
        }
        docs.push_back(text);
    }
    return docs;
}

static std::string handler(const std::vector<std::string>& docs) {
    std::map<std::string, std::vector<int>> index;
    for (int d = 0; d < static_cast<int>(docs.size()); ++d) {
        std::istringstream in(docs[d]);
        std::string word;
        while (in >> word) {
            std::vector<int>& postings = index[word];
            if (postings.empty() || postings.back() != d) postings.push_back(d);
        }
    }
    uint64_t matches = 0;
    for (int q = 0; q < 200; ++q) {
        std::string a = std::string(kWords[q % 18]) + std::to_string(q % 40);
        std::string b = std::string(kWords[(q * 7) % 18]) + std::to_string((q * 3) % 40);
        const std::vector<int>& pa = index[a];
        const std::vector<int>& pb = index[b];
        std::vector<int> both;
        std::set_intersection(pa.begin(), pa.end(), pb.begin(), pb.end(),
                              std::back_inserter(both));
        matches += both.size();
    }
    return "terms=" + std::to_string(index.size()) + " matches=" + std::to_string(matches);
}

int main(int argc, char** argv) {
    std::vector<std::string> docs;
    return memento::run(argc, argv, [&] {
        if (docs.empty()) docs = make_documents();
        return handler(docs);
    });
}
