"""An HTML table rendered by a Chameleon page template (FunctionBench
chameleon; pyperformance bm_chameleon)."""

import hashlib
import random

from chameleon import PageTemplate

TEMPLATE = """<table xmlns:tal="http://xml.zope.org/namespaces/tal">
<tr tal:repeat="row rows"><td tal:repeat="c row" tal:content="c"/></tr>
</table>"""


def make_input():
    rng = random.Random(3)
    rows = [[rng.randint(0, 9999) for _ in range(10)] for _ in range(200)]
    return PageTemplate(TEMPLATE), rows


def handler(event):
    template, rows = event
    html = template(rows=rows)
    return f"{len(html)}-{hashlib.sha256(html.encode()).hexdigest()[:12]}"
