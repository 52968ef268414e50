// AES encryption and decryption in JavaScript with crypto-js (the Node
// counterpart of pyaes).
'use strict';

const CryptoJS = require('crypto-js');
const rng = require('./rng');

exports.makeInput = function makeInput() {
  const next = rng(42);
  let message = '';
  for (let i = 0; i < 20000; i++) message += String.fromCharCode(97 + next(26));
  const key = CryptoJS.enc.Hex.parse('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const iv = CryptoJS.enc.Hex.parse('0f0e0d0c0b0a09080706050403020100');
  return { message, key, iv };
};

exports.handler = function handler({ message, key, iv }) {
  const cipher = CryptoJS.AES.encrypt(message, key, { iv });
  const plain = CryptoJS.AES.decrypt(cipher, key, { iv }).toString(CryptoJS.enc.Utf8);
  if (plain !== message) throw new Error('AES round trip failed');
  const digest = CryptoJS.SHA256(cipher.ciphertext).toString().slice(0, 16);
  return `bytes=${cipher.ciphertext.sigBytes} digest=${digest}`;
};
