//! JSON: reads one input item (a UTF-8 JSON document), parses it with serde_json and commits a
//! summary: `(objects, keys, integer_sum, max_depth)` with postcard (`io::commit`), where
//! `integer_sum` is the 128-bit sum of every integer in the document.
#![no_main]
droste_zkvm::entrypoint!(main);

use serde_json::Value;

/// What the guest commits about a document.
#[derive(Default)]
struct Summary {
    objects: u64,
    keys: u64,
    integer_sum: i128,
    max_depth: u32,
}

fn summarize(value: &Value, depth: u32, summary: &mut Summary) {
    summary.max_depth = summary.max_depth.max(depth);
    match value {
        Value::Object(map) => {
            summary.objects += 1;
            summary.keys += map.len() as u64;
            for child in map.values() {
                summarize(child, depth + 1, summary);
            }
        }
        Value::Array(items) => {
            for child in items {
                summarize(child, depth + 1, summary);
            }
        }
        Value::Number(number) => {
            if let Some(int) = number.as_i64() {
                summary.integer_sum += i128::from(int);
            } else if let Some(uint) = number.as_u64() {
                summary.integer_sum += i128::from(uint);
            }
        }
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

fn main() {
    let document = droste_zkvm::io::read_vec();
    let value: Value = match serde_json::from_slice(&document) {
        Ok(value) => value,
        Err(error) => panic!("input is not JSON: {error}"),
    };
    let mut summary = Summary::default();
    summarize(&value, 0, &mut summary);
    droste_zkvm::io::commit(&(
        summary.objects,
        summary.keys,
        summary.integer_sum,
        summary.max_depth,
    ));
}
