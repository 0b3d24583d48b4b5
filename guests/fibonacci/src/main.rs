//! Fibonacci: reads `n` (one input item, 8 bytes little-endian), commits `fib(n) mod 2^64` and `n`
//! (8 bytes little-endian each).
#![no_main]
droste_zkvm::entrypoint!(main);

fn fibonacci(n: u64) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a.wrapping_add(b));
    }
    a
}

fn main() {
    let item = droste_zkvm::io::read_vec();
    let Ok(n) = <[u8; 8]>::try_from(item.as_slice()) else {
        panic!(
            "fibonacci: expected n as 8 bytes little-endian, got {} bytes",
            item.len()
        );
    };
    let n = u64::from_le_bytes(n);
    droste_zkvm::io::commit_slice(&fibonacci(n).to_le_bytes());
    droste_zkvm::io::commit_slice(&n.to_le_bytes());
}
