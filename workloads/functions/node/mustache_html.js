// An HTML page rendered by mustache (vSwarm / Pronghorn dynamic HTML).
'use strict';

const crypto = require('crypto');
const Mustache = require('mustache');
const rng = require('./rng');

const TEMPLATE = '<html><body><h1>{{title}}</h1><table>' +
  '{{#rows}}<tr><td>{{id}}</td><td>{{name}}</td><td>{{score}}</td></tr>{{/rows}}' +
  '</table></body></html>';

exports.makeInput = function makeInput() {
  const next = rng(41);
  const rows = [];
  for (let i = 0; i < 2000; i++) {
    rows.push({ id: i, name: `user${next(100000)}`, score: next(1000) });
  }
  return { title: 'Memento', rows };
};

exports.handler = function handler(view) {
  const html = Mustache.render(TEMPLATE, view);
  return `${html.length}-${crypto.createHash('sha256').update(html).digest('hex').slice(0, 12)}`;
};
