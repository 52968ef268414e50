// An allocation-heavy Node script whose output is deterministic: JSON
// round trips, Buffers, zlib and string building. Prints a digest.
const zlib = require('zlib');
const crypto = require('crypto');
let h = crypto.createHash('sha256');
for (let round = 0; round < 20; round++) {
  const records = [];
  for (let i = 0; i < 5000; i++) records.push({ id: i, name: 'n' + i * round, tags: ['a', 'b', String(i % 7)] });
  const text = JSON.stringify(records);
  const back = JSON.parse(text);
  const z = zlib.gzipSync(Buffer.from(text), { level: 6 });
  const un = zlib.gunzipSync(z).toString();
  if (un !== text || back.length !== 5000) throw new Error('round trip');
  h.update(z.length + ':' + back[4999].name + ';');
  const bufs = [];
  for (let i = 0; i < 2000; i++) bufs.push(Buffer.alloc(64 + (i % 700), i & 255));
  h.update(String(Buffer.concat(bufs).length));
}
console.log(h.digest('hex'));
