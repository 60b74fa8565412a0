// Which requests of a hot Daraja route a channel serves without fastify: only those whose body
// fastify's JSON parser would take as it is (the rest keep fastify's own answers).
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { DARAJA_BODY_BYTES_MAX } from '../daraja/platform/model.ts';
import { leanEligible } from './hot-http.ts';

const requestWith = (headers: Record<string, string>) => ({ headers }) as IncomingMessage;

describe('the lean path of the hot routes', () => {
  test('a JSON body with its length is read without fastify', () => {
    for (const type of ['application/json', 'Application/JSON', 'application/json; charset=utf-8'])
      assert.equal(
        leanEligible(requestWith({ 'content-type': type, 'content-length': '120' })),
        true,
        type,
      );
    const limit = String(DARAJA_BODY_BYTES_MAX);
    assert.equal(
      leanEligible(requestWith({ 'content-type': 'application/json', 'content-length': limit })),
      true,
    );
  });

  test('another media type or charset, a chunked, empty or oversized body goes to fastify', () => {
    const cases: Record<string, string>[] = [
      { 'content-type': 'text/plain', 'content-length': '10' },
      { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '10' },
      { 'content-type': 'application/json; charset=latin1', 'content-length': '10' },
      { 'content-length': '10' },
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      {
        'content-type': 'application/json',
        'content-length': '10',
        'transfer-encoding': 'chunked',
      },
      { 'content-type': 'application/json', 'content-length': '0' },
      { 'content-type': 'application/json', 'content-length': String(DARAJA_BODY_BYTES_MAX + 1) },
      { 'content-type': 'application/json', 'content-length': 'ten' },
    ];
    for (const headers of cases)
      assert.equal(leanEligible(requestWith(headers)), false, JSON.stringify(headers));
  });
});
