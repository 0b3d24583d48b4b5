//! Exercises the guest runtime and Rust's std on droste. The first input item (a postcard
//! `String`) names the scenario; droste-sdk's `tests/runtime.rs` runs each one and checks the
//! result against the same computation on the host.
#![no_main]
droste_zkvm::entrypoint!(main);

use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};

use droste_zkvm::io;
use serde::{Deserialize, Serialize};

/// A structured value sent by the host and committed back (serde derive through postcard).
#[derive(Serialize, Deserialize)]
struct Record {
    id: u32,
    name: String,
    tags: Vec<String>,
    wide: u128,
    signed: i128,
    nested: Option<Box<Record>>,
}

fn main() {
    let scenario: String = io::read();
    match scenario.as_str() {
        "echo" => io::commit(&io::read::<Record>()),
        "collections" => collections(),
        "wide-arithmetic" => wide_arithmetic(),
        "misaligned" => misaligned(),
        "floats" => floats(),
        "hashmap" => hashmap(),
        "environment" => environment(),
        "private-input" => private_input(),
        "print" => {
            println!("hello from the guest");
            eprintln!("warning from the guest");
        }
        "panic" => panic!("scenario says {}", 42),
        "out-of-memory" => {
            // black_box keeps the compiler from eliding an allocation nobody reads.
            let mut huge: Vec<u8> = std::hint::black_box(Vec::with_capacity(1 << 40));
            huge.push(1);
            io::commit(&huge.capacity());
        }
        "heap" => heap(),
        "zeroed" => zeroed(),
        "sync" => sync(),
        "clock" => {
            io::commit(&std::time::Instant::now().elapsed().as_nanos());
        }
        "exit" => droste_zkvm::halt(7),
        "cycles" => cycles(),
        "poseidon2" => poseidon2(),
        "pcs-hasher" => pcs_hasher(),
        "ext-combine" => ext_combine(),
        "read-past-end" => {
            io::read_vec();
        }
        other => panic!("unknown scenario {other:?}"),
    }
}

/// BTreeMap word counts, VecDeque rotation and BinaryHeap ordering of the input words.
fn collections() {
    let text: String = io::read();
    let mut counts = BTreeMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word.to_string()).or_insert(0u32) += 1;
    }
    let mut ring: VecDeque<&str> = text.split_whitespace().collect();
    ring.rotate_left(2);
    let sorted: Vec<String> = text
        .split_whitespace()
        .map(str::to_string)
        .collect::<BinaryHeap<_>>()
        .into_sorted_vec();
    io::commit(&(counts, ring, sorted));
}

/// 128-bit multiply, divide, remainder and shifts (compiler-builtins on RV64).
fn wide_arithmetic() {
    let (a, b): (u128, u128) = io::read();
    let (c, d): (i128, i128) = io::read();
    io::commit(&(
        a.wrapping_mul(b),
        a / b,
        a % b,
        a.rotate_left(77),
        c / d,
        c % d,
        c.wrapping_mul(d),
        c >> 100,
    ));
}

/// Loads and stores at misaligned addresses, both through `read_unaligned` and through raw
/// `ld`/`lw`/`lh`/`sd` instructions (the VM allows misaligned access).
fn misaligned() {
    let bytes = io::read_vec();
    assert!(bytes.len() >= 24, "misaligned needs 24 bytes");
    let mut results = Vec::new();
    for offset in [1usize, 3, 5, 7] {
        // SAFETY: offset + 8 <= 24 <= bytes.len().
        let via_rust = unsafe { bytes.as_ptr().add(offset).cast::<u64>().read_unaligned() };
        results.push(via_rust);
    }
    let base = bytes.as_ptr();
    let (double, word, half): (u64, i64, i64);
    // SAFETY: all accesses lie inside `bytes` (offsets 1..9, 3..7, 5..7).
    unsafe {
        core::arch::asm!(
            "ld {double}, 1({base})",
            "lw {word}, 3({base})",
            "lh {half}, 5({base})",
            base = in(reg) base,
            double = out(reg) double,
            word = out(reg) word,
            half = out(reg) half,
            options(readonly, nostack),
        );
    }
    let mut buffer = [0u8; 24];
    // SAFETY: bytes 9..17 of `buffer` are in range.
    unsafe {
        core::arch::asm!(
            "sd {value}, 9({base})",
            base = in(reg) buffer.as_mut_ptr(),
            value = in(reg) double,
            options(nostack),
        );
    }
    io::commit(&(results, double, word, half, buffer));
}

/// Soft-float arithmetic and formatting (no F/D extension: compiler-builtins does the work).
fn floats() {
    let x: f64 = io::read();
    io::commit(&format!(
        "{:.6} {:.6} {:e} {}",
        x.sqrt(),
        x * 1.5 - 0.25,
        x / 3.0,
        (x as f32) * 2.0
    ));
}

/// `HashMap` and `HashSet` seed their hasher from `sys_rand`: this works only when the host
/// supplied entropy. The committed values do not depend on the seed.
fn hashmap() {
    let words: Vec<String> = io::read();
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for word in &words {
        *counts.entry(word).or_default() += 1;
    }
    let distinct: HashSet<&String> = words.iter().collect();
    let mut pairs: Vec<(&str, u32)> = counts.into_iter().collect();
    pairs.sort();
    io::commit(&(pairs, distinct.len()));
}

/// Guests have no environment variables, no arguments and an empty stdin.
fn environment() {
    use std::io::Read;
    let home = std::env::var("HOME").is_err();
    let args = std::env::args().count();
    let mut stdin = Vec::new();
    let read = std::io::stdin()
        .read_to_end(&mut stdin)
        .map_err(|e| e.to_string());
    io::commit(&(home, args, read));
}

/// The private input, viewed in place: its length, its alignment and a checksum.
fn private_input() {
    let payload = io::private_input_slice();
    let checksum = payload.iter().fold(0u64, |acc, &byte| {
        acc.wrapping_mul(31).wrapping_add(u64::from(byte))
    });
    io::commit(&(payload.len(), payload.as_ptr() as usize % 16, checksum));
}

/// Many allocations, frees and reallocations: growing vectors, nested boxes, dropped temporaries.
fn heap() {
    let rounds: u32 = io::read();
    let mut total = 0u64;
    let mut keep = Vec::new();
    for round in 0..rounds {
        let mut grow = Vec::new();
        for i in 0..(round % 50) {
            grow.push(u64::from(i) * u64::from(round));
        }
        let temporary: Vec<u8> = vec![round as u8; (round as usize % 300) + 1];
        total += grow.iter().sum::<u64>() + temporary.iter().map(|&b| u64::from(b)).sum::<u64>();
        if round % 7 == 0 {
            keep.push(Box::new((round, grow)));
        }
    }
    let kept: u64 = keep.iter().map(|entry| entry.1.iter().sum::<u64>()).sum();
    io::commit(&(total, keep.len(), kept));
}

/// `vec![0; n]` is zero both where the heap reuses freed memory and where it is fresh.
fn zeroed() {
    let len: usize = io::read();
    let dirty = std::hint::black_box(vec![0xffu8; len]);
    let dirty_address = dirty.as_ptr() as usize;
    drop(dirty);
    let reused = std::hint::black_box(vec![0u8; 2 * len]);
    let fresh = std::hint::black_box(vec![0u64; len]);
    io::commit(&(
        reused.as_ptr() as usize == dirty_address,
        reused.iter().filter(|&&byte| byte != 0).count(),
        fresh.iter().filter(|&&word| word != 0).count(),
    ));
}

/// Single-threaded use of std's synchronisation and sharing types (atomics are lowered to plain
/// memory operations), and threads reported as unsupported.
fn sync() {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, OnceLock};

    thread_local!(static CALLS: Cell<u32> = const { Cell::new(0) });
    static CONFIG: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(5);

    for _ in 0..3 {
        CALLS.with(|calls| calls.set(calls.get() + 1));
    }
    let config = CONFIG.get_or_init(|| "configured".to_string()).clone();
    let again = CONFIG.get_or_init(|| "ignored".to_string()).clone();
    let shared = Arc::new(Mutex::new(vec![1u32]));
    shared.lock().unwrap().push(2);
    let previous = COUNTER.fetch_add(10, Ordering::SeqCst);
    let swapped = COUNTER.compare_exchange(15, 20, Ordering::AcqRel, Ordering::Acquire);
    let rc = Rc::new(RefCell::new(String::from("a")));
    rc.borrow_mut().push('b');
    let spawn_failed = std::thread::Builder::new().spawn(|| ()).is_err();
    io::commit(&(
        CALLS.with(Cell::get),
        config,
        again,
        shared.lock().unwrap().clone(),
        previous,
        swapped,
        COUNTER.load(Ordering::Relaxed),
        rc.borrow().clone(),
        Rc::strong_count(&rc),
        spawn_failed,
    ));
}

/// The cycle counter advances, and step markers are plain no-ops.
fn cycles() {
    let before = droste_zkvm::cycle_count();
    droste_zkvm::step_marker::<1>();
    let mut sum = 0u64;
    for i in 0..1000u64 {
        sum = sum.wrapping_add(std::hint::black_box(i));
    }
    droste_zkvm::step_marker::<2>();
    let after = droste_zkvm::cycle_count();
    io::commit(&(sum, after > before + 1000));
}

/// The POSEIDON2 precompile on canonical words (in place, and from a state at an address that
/// is 4 mod 8, which goes through an aligned copy) and on Montgomery words; POSEIDON2_FROM with
/// the state's second half standing in for its first, and for itself from an address that is 4
/// mod 8.
fn poseidon2() {
    use droste_zkvm::poseidon2::{permute_from, Half};
    let (canonical, montgomery): ([u32; 16], [u32; 16]) = io::read();
    let mut in_place = canonical;
    droste_zkvm::poseidon2::permute(&mut in_place);
    let mut buffer = [0u32; 17];
    let offset = usize::from(buffer.as_ptr() as usize % 8 == 0);
    let misaligned: &mut [u32; 16] = (&mut buffer[offset..offset + 16]).try_into().unwrap();
    *misaligned = canonical;
    droste_zkvm::poseidon2::permute(misaligned);
    let misaligned = *misaligned;
    let mut montgomery = montgomery;
    droste_zkvm::poseidon2::permute_montgomery(&mut montgomery);
    let second: [u32; 8] = canonical[8..].try_into().unwrap();
    let mut from_first = canonical;
    permute_from(&mut from_first, Half::First, &second);
    let mut words = [0u32; 9];
    let offset = usize::from(words.as_ptr() as usize % 8 == 0);
    words[offset..offset + 8].copy_from_slice(&second);
    let mut from_second = canonical;
    let misaligned_words: &[u32; 8] = words[offset..offset + 8].try_into().unwrap();
    permute_from(&mut from_second, Half::Second, misaligned_words);
    io::commit(&(in_place, misaligned, montgomery, from_first, from_second));
}

/// The EXT_COMBINE precompile on the input's values: in place (aligned, even), from an address
/// that is 4 mod 8 (an aligned copy), and on an odd count (a copy with a zero appended).
fn ext_combine() {
    use droste_zkvm::ext_combine::combine;
    let (values, alpha, w): (Vec<u32>, [u32; 4], [u32; 4]) = io::read();
    let in_place = combine(&values, alpha, w);
    let mut buffer = vec![0u32; values.len() + 1];
    let offset = usize::from(buffer.as_ptr() as usize % 8 == 0);
    buffer[offset..offset + values.len()].copy_from_slice(&values);
    let misaligned = combine(&buffer[offset..offset + values.len()], alpha, w);
    let odd = combine(&values[..values.len() - 1], alpha, w);
    io::commit(&(in_place, misaligned, odd));
}

/// droste-pcs's hasher, which is the precompile in a guest: a leaf hash of the input elements,
/// a compression, and one bare permutation between step markers 1 and 2 (for the profile).
fn pcs_hasher() {
    use droste_pcs::hash::{Hasher, WIDTH};
    use droste_pcs::Val;
    use p3_field::{PrimeCharacteristicRing, PrimeField32};

    let elements: Vec<u32> = io::read();
    let elements: Vec<Val> = elements.into_iter().map(Val::from_u32).collect();
    let hasher = Hasher::new();
    let digest = hasher.hash_slice(&elements);
    let compressed = hasher.compress(&digest, &digest);
    let mut state = [Val::ZERO; WIDTH];
    for (cell, &x) in state.iter_mut().zip(&elements) {
        *cell = x;
    }
    droste_zkvm::step_marker::<1>();
    hasher.permute(&mut state);
    droste_zkvm::step_marker::<2>();
    let words = |xs: &[Val]| -> Vec<u32> { xs.iter().map(|x| x.as_canonical_u32()).collect() };
    io::commit(&(words(&digest), words(&compressed), words(&state)));
}
