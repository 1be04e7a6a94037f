#!/usr/bin/env python3
"""Writes the seeds of fuzz_lz4_index (tests/fuzz/seeds/fuzz_lz4_index/):
a mode byte (fuzz_lz4_index.c) and, for mode bit 0 set, lz4 frames made
by python-lz4 (linked and independent blocks, checksums, content size,
stored blocks, two frames with zero padding, a skippable frame after);
for mode bit 0 clear, text the target frames itself with LZ4F.

Run: /usr/bin/python3 tests/fuzz/make_lz4_seeds.py
"""
import os

import lz4.frame as f

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "fuzz_lz4_index")
os.makedirs(out, exist_ok=True)
text = b"joblib numpy array pickle frame lz4 block " * 40
noise = bytes((i * 2654435761 >> 13) & 255 for i in range(1500))
raw = {
    "raw_linked": f.compress(text, block_checksum=True),
    "raw_independent": f.compress(text, block_linked=False, content_checksum=True, store_size=True),
    "raw_stored": f.compress(noise, block_linked=False),
    "raw_two_frames": f.compress(text[:700]) + b"\0" * 4 + f.compress(text[700:], block_linked=False),
    "raw_skippable": f.compress(text[:300]) + b"\x50\x2a\x4d\x18\x02\x00\x00\x00ab" + f.compress(text[:100]),
}
for name, data in raw.items():
    with open(os.path.join(out, name), "wb") as fh:
        fh.write(b"\x01" + data)
# mode bytes: block size bits 1-2, independent bit 3, block checksum bit
# 4, content checksum and size bit 5, damage bit 6
for mode in (0x00, 0x18, 0x3a, 0x54, 0x2e):
    with open(os.path.join(out, "framed_%02x" % mode), "wb") as fh:
        fh.write(bytes([mode]) + text[:120])
