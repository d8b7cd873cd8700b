"""Tests of the pure transformation layer: ids, raw objects, schemas, tables, synthetic sample."""
