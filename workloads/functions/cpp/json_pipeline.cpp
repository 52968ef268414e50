// A JSON pipeline (parse, transform, serialise), the role of a C++ REST
// handler: seeded records are serialised to JSON text, parsed back into a
// small DOM of heap nodes, filtered and re-serialised.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "driver.hpp"

namespace {

struct Value {
    enum Kind { Number, String, Array, Object } kind = Number;
    long long number = 0;
    std::string text;
    std::vector<std::unique_ptr<Value>> items;
    std::map<std::string, std::unique_ptr<Value>> fields;
};

struct Parser {
    const std::string& s;
    size_t i = 0;
    void ws() {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
    }
    std::string str() {
        std::string out;
        ++i;  // opening quote
        while (s[i] != '"') out += s[i++];
        ++i;
        return out;
    }
    std::unique_ptr<Value> value() {
        ws();
        auto v = std::make_unique<Value>();
        if (s[i] == '{') {
            v->kind = Value::Object;
            ++i;
            ws();
            while (s[i] != '}') {
                ws();
                std::string key = str();
                ws();
                ++i;  // colon
                v->fields[key] = value();
                ws();
                if (s[i] == ',') ++i;
            }
            ++i;
        } else if (s[i] == '[') {
            v->kind = Value::Array;
            ++i;
            ws();
            while (s[i] != ']') {
                v->items.push_back(value());
                ws();
                if (s[i] == ',') ++i;
            }
            ++i;
        } else if (s[i] == '"') {
            v->kind = Value::String;
            v->text = str();
        } else {
            size_t end = i;
            while (end < s.size() && (s[end] == '-' || (s[end] >= '0' && s[end] <= '9'))) ++end;
            v->number = std::stoll(s.substr(i, end - i));
            i = end;
        }
        return v;
    }
};

void write(const Value& v, std::string& out) {
    switch (v.kind) {
        case Value::Number: out += std::to_string(v.number); break;
        case Value::String: out += '"' + v.text + '"'; break;
        case Value::Array:
            out += '[';
            for (size_t k = 0; k < v.items.size(); ++k) {
                if (k) out += ',';
                write(*v.items[k], out);
            }
            out += ']';
            break;
        case Value::Object: {
            out += '{';
            bool first = true;
            for (const auto& [key, field] : v.fields) {
                if (!first) out += ',';
                first = false;
                out += '"' + key + "\":";
                write(*field, out);
            }
            out += '}';
        }
    }
}

std::string make_document() {
    memento::Rng rng(23);
    std::string out = "[";
    const long records = memento::input_size(3000);
    for (long r = 0; r < records; ++r) {
        if (r) out += ",\n";
        out += "{\"id\": " + std::to_string(r) + ", \"name\": \"item" +
               std::to_string(rng.below(100000)) + "\", \"price\": " +
               std::to_string(rng.below(10000)) + ", \"tags\": [\"t" +
               std::to_string(rng.below(9)) + "\", \"t" + std::to_string(rng.below(9)) + "\"]}";
    }
    return out + "]";
}

}  // namespace

int main(int argc, char** argv) {
    std::string document;
    return memento::run(argc, argv, [&] {
        if (document.empty()) document = make_document();
        Parser parser{document};
        std::unique_ptr<Value> root = parser.value();
        Value kept;
        kept.kind = Value::Array;
        for (auto& item : root->items) {
            if (item->fields["price"]->number >= 5000) kept.items.push_back(std::move(item));
        }
        std::string out;
        write(kept, out);
        return "kept=" + std::to_string(kept.items.size()) + " digest=" +
               memento::hex(memento::fnv1a(out));
    });
}
