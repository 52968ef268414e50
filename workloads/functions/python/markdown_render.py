"""Markdown to HTML (pyperformance / SeBS-style text rendering)."""

import hashlib
import random

import markdown

WORDS = "memory arena page object lane cache bypass kernel fault heap size class".split()


def make_input():
    rng = random.Random(9)
    parts = []
    for s in range(40):
        parts.append(f"## Section {s}\n")
        for _ in range(5):
            words = [rng.choice(WORDS) for _ in range(30)]
            words[3] = f"**{words[3]}**"
            words[7] = f"`{words[7]}`"
            parts.append(" ".join(words) + "\n")
        parts.append("".join(f"- item {rng.randint(0, 99)}\n" for _ in range(5)))
    return "\n".join(parts)


def handler(text):
    html = markdown.markdown(text, extensions=["tables"])
    return f"{len(html)}-{hashlib.sha256(html.encode()).hexdigest()[:12]}"
