// `npm test`: the cookie reader against what a browser may send, planted and stale cookies too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readSessionData } from "./session-cookie";

// Better Auth's names for the cookie cache, over HTTP and over HTTPS.
const PLAIN = "better-auth.session_data";
const SECURE = "__Secure-better-auth.session_data";

test("one cookie of the exact name is the value", () => {
  assert.equal(readSessionData([{ name: PLAIN, value: "whole" }], PLAIN), "whole");
});

test("chunks are joined in index order, not in the order sent", () => {
  const cookies = [
    { name: `${PLAIN}.10`, value: "k" },
    { name: `${PLAIN}.2`, value: "c" },
    { name: `${PLAIN}.0`, value: "a" },
    { name: `${PLAIN}.1`, value: "b" },
  ];
  assert.equal(readSessionData(cookies, PLAIN), "abck");
});

test("a planted chunk beside the real cookie is ignored", () => {
  const cookies = [
    { name: `${PLAIN}.1`, value: "planted" },
    { name: PLAIN, value: "real" },
  ];
  assert.equal(readSessionData(cookies, PLAIN), "real");
});

test("stale chunks beside a fresh unchunked cookie are ignored", () => {
  const cookies = [
    { name: `${PLAIN}.0`, value: "stale-0" },
    { name: PLAIN, value: "fresh" },
    { name: `${PLAIN}.1`, value: "stale-1" },
  ];
  assert.equal(readSessionData(cookies, PLAIN), "fresh");
});

test("over HTTPS only the __Secure- cookie and its chunks count", () => {
  const cookies = [
    { name: PLAIN, value: "unprefixed" },
    { name: `${PLAIN}.0`, value: "unprefixed-chunk" },
    { name: `${SECURE}.1`, value: "b" },
    { name: `${SECURE}.0`, value: "a" },
  ];
  assert.equal(readSessionData(cookies, SECURE), "ab");
  assert.equal(readSessionData(cookies, PLAIN), "unprefixed");
});

test("names that only look like chunks, and deleted chunks, are not joined", () => {
  const cookies = [
    { name: `${PLAIN}.0`, value: "a" },
    { name: `${PLAIN}.1`, value: "" },
    { name: `${PLAIN}.x`, value: "x" },
    { name: `${PLAIN}.2.evil`, value: "e" },
    { name: `${PLAIN}extra.3`, value: "e" },
    { name: `${PLAIN}.`, value: "e" },
  ];
  assert.equal(readSessionData(cookies, PLAIN), "a");
});

test("no cookie of that name is no value", () => {
  assert.equal(readSessionData([{ name: "other", value: "v" }], PLAIN), undefined);
  assert.equal(readSessionData([{ name: PLAIN, value: "" }], PLAIN), undefined);
});
