"""A dynamic HTML page rendered by Jinja2 (SeBS 110.dynamic-html)."""

import hashlib
import random

import jinja2

TEMPLATE = """<!DOCTYPE html><html><head><title>{{ title }}</title></head><body>
<h1>Hello {{ user }}!</h1><ul>
{% for n in numbers %}<li class="{{ loop.cycle('odd', 'even') }}">{{ n }}</li>
{% endfor %}</ul></body></html>"""


def make_input():
    rng = random.Random(4)
    env = jinja2.Environment(autoescape=True)
    numbers = [rng.randint(0, 10**6) for _ in range(2000)]
    return env.from_string(TEMPLATE), numbers


def handler(event):
    template, numbers = event
    html = template.render(title="Memento", user="tester", numbers=numbers)
    return f"{len(html)}-{hashlib.sha256(html.encode()).hexdigest()[:12]}"
