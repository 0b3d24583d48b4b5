//! The guest runtime (droste-zkvm) and Rust's std on droste, through `guests/selftest`: every
//! scenario's result is checked against the same computation on the host.

mod common;

use std::collections::{BTreeMap, HashMap, VecDeque};

use common::{guest, run, run_ok};
use droste_sdk::{execute, ExecOptions, ExecuteError, Input, PublicOutput};
use serde::{Deserialize, Serialize};

fn scenario(name: &str) -> Input {
    Input::new().write(name).unwrap()
}

/// Same shape as the guest's `Record`.
#[derive(Debug, PartialEq, Serialize, Deserialize, Clone)]
struct Record {
    id: u32,
    name: String,
    tags: Vec<String>,
    wide: u128,
    signed: i128,
    nested: Option<Box<Record>>,
}

#[test]
fn structured_values_round_trip_through_the_guest() {
    let inner = Record {
        id: 1,
        name: "inner".into(),
        tags: vec![],
        wide: 0,
        signed: -1,
        nested: None,
    };
    let record = Record {
        id: u32::MAX,
        name: "droste ∞".into(),
        tags: vec!["a".into(), "bc".into()],
        wide: u128::MAX - 1,
        signed: i128::MIN + 3,
        nested: Some(Box::new(inner)),
    };
    let execution = run_ok("selftest", &scenario("echo").write(&record).unwrap());
    assert_eq!(
        PublicOutput::new(&execution.public_output)
            .read::<Record>()
            .unwrap(),
        record
    );
}

#[test]
fn std_collections_match_the_host() {
    let text = "the quick brown fox jumps over the lazy dog the end";
    let execution = run_ok("selftest", &scenario("collections").write(text).unwrap());
    let mut counts = BTreeMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word.to_string()).or_insert(0u32) += 1;
    }
    let mut ring: VecDeque<String> = text.split_whitespace().map(str::to_string).collect();
    ring.rotate_left(2);
    let mut sorted: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    sorted.sort();
    let expected = (counts, ring, sorted);
    let mut output = PublicOutput::new(&execution.public_output);
    assert_eq!(
        output
            .read::<(BTreeMap<String, u32>, VecDeque<String>, Vec<String>)>()
            .unwrap(),
        expected
    );
}

type Wide = (u128, u128, u128, u128, i128, i128, i128, i128);

#[test]
fn wide_arithmetic_matches_the_host() {
    let cases: [((u128, u128), (i128, i128)); 3] = [
        ((u128::MAX, 3), (i128::MIN, 7)),
        (
            (0x1234_5678_9abc_def0_1122_3344_5566_7788, 0xffff_ffff_ffff),
            (-1_000_000_000_000_000_000_007, -13),
        ),
        ((1 << 100, (1 << 64) + 1), (i128::MAX, i128::MAX - 1)),
    ];
    for ((a, b), (c, d)) in cases {
        let input = scenario("wide-arithmetic")
            .write(&(a, b))
            .unwrap()
            .write(&(c, d))
            .unwrap();
        let execution = run_ok("selftest", &input);
        let expected: Wide = (
            a.wrapping_mul(b),
            a / b,
            a % b,
            a.rotate_left(77),
            c / d,
            c % d,
            c.wrapping_mul(d),
            c >> 100,
        );
        assert_eq!(
            PublicOutput::new(&execution.public_output)
                .read::<Wide>()
                .unwrap(),
            expected
        );
    }
}

#[test]
fn misaligned_loads_and_stores_match_the_host() {
    let bytes: Vec<u8> = (0u8..24)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let execution = run_ok("selftest", &scenario("misaligned").write_slice(&bytes));
    let at = |offset: usize| u64::from_le_bytes(bytes[offset..offset + 8].try_into().unwrap());
    let double = at(1);
    let word = i64::from(i32::from_le_bytes(bytes[3..7].try_into().unwrap()));
    let half = i64::from(i16::from_le_bytes(bytes[5..7].try_into().unwrap()));
    let mut buffer = [0u8; 24];
    buffer[9..17].copy_from_slice(&double.to_le_bytes());
    let expected = (vec![at(1), at(3), at(5), at(7)], double, word, half, buffer);
    let mut output = PublicOutput::new(&execution.public_output);
    assert_eq!(
        output
            .read::<(Vec<u64>, u64, i64, i64, [u8; 24])>()
            .unwrap(),
        expected
    );
}

#[test]
fn soft_floats_match_the_host() {
    for x in [2.0f64, 1e-300, 12345.678] {
        let execution = run_ok("selftest", &scenario("floats").write(&x).unwrap());
        let expected = format!(
            "{:.6} {:.6} {:e} {}",
            x.sqrt(),
            x * 1.5 - 0.25,
            x / 3.0,
            (x as f32) * 2.0
        );
        assert_eq!(
            PublicOutput::new(&execution.public_output)
                .read::<String>()
                .unwrap(),
            expected
        );
    }
}

#[test]
fn hashmap_works_with_entropy_and_fails_loudly_without() {
    let words: Vec<String> = "b a b c a b".split(' ').map(str::to_string).collect();
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for word in &words {
        *counts.entry(word).or_default() += 1;
    }
    let mut pairs: Vec<(String, u32)> = counts
        .into_iter()
        .map(|(w, c)| (w.to_string(), c))
        .collect();
    pairs.sort();

    let input = scenario("hashmap").write(&words).unwrap();
    for seed in [[1u8; 32], [2u8; 32]] {
        let execution = run_ok("selftest", &input.clone().entropy(seed));
        let mut output = PublicOutput::new(&execution.public_output);
        assert_eq!(
            output.read::<(Vec<(String, u32)>, u64)>().unwrap(),
            (pairs.clone(), 3)
        );
    }

    let program = guest("selftest");
    let err = execute(&*program, &input, &ExecOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ExecuteError::Exec(droste_sdk::ExecError::NoEntropy { .. })
        ),
        "{err}"
    );
}

#[test]
fn guests_have_no_environment_arguments_or_stdin() {
    let execution = run_ok("selftest", &scenario("environment"));
    let mut output = PublicOutput::new(&execution.public_output);
    assert_eq!(
        output.read::<(bool, u64, Result<u64, String>)>().unwrap(),
        (true, 0, Ok(0))
    );
}

#[test]
fn private_input_is_mapped_aligned_and_read_in_place() {
    for payload in [
        Vec::new(),
        vec![7u8],
        (0..5000u32).map(|i| (i * 7) as u8).collect(),
    ] {
        let execution = run_ok(
            "selftest",
            &scenario("private-input").private_input(payload.clone()),
        );
        let checksum = payload.iter().fold(0u64, |acc, &byte| {
            acc.wrapping_mul(31).wrapping_add(u64::from(byte))
        });
        let mut output = PublicOutput::new(&execution.public_output);
        assert_eq!(
            output.read::<(u64, u64, u64)>().unwrap(),
            (payload.len() as u64, 0, checksum)
        );
    }
}

#[test]
fn println_and_eprintln_reach_the_host() {
    let execution = run_ok("selftest", &scenario("print"));
    assert_eq!(execution.stdout, b"hello from the guest\n");
    assert_eq!(execution.stderr, b"warning from the guest\n");
    assert!(execution.public_output.is_empty());
}

#[test]
fn a_panic_ends_the_guest_with_its_message_and_location() {
    let execution = run("selftest", &scenario("panic"));
    assert_eq!(execution.exit_code, 101);
    let message = execution.panic_message.unwrap();
    assert!(message.starts_with("panicked at src/main.rs:"), "{message}");
    assert!(message.ends_with(":\nscenario says 42"), "{message}");
}

#[test]
fn reading_past_the_input_names_the_guest_call_site() {
    let execution = run("selftest", &scenario("read-past-end"));
    assert_eq!(execution.exit_code, 101);
    let message = execution.panic_message.unwrap();
    assert!(message.starts_with("panicked at src/main.rs:"), "{message}");
    assert!(
        message.contains("the input stream is exhausted"),
        "{message}"
    );
}

#[test]
fn a_typed_read_of_the_wrong_type_panics_with_the_type() {
    let execution = run("selftest", &Input::new().write_slice(&[0xff]));
    assert_eq!(execution.exit_code, 101);
    let message = execution.panic_message.unwrap();
    assert!(
        message.contains("io::read::<alloc::string::String>"),
        "{message}"
    );
}

#[test]
fn running_out_of_memory_is_a_clean_panic() {
    let execution = run("selftest", &scenario("out-of-memory"));
    assert_eq!(execution.exit_code, 101);
    let message = execution.panic_message.unwrap();
    assert!(
        message.starts_with("out of memory: cannot allocate 1099511627776 bytes"),
        "{message}"
    );
}

#[test]
fn heap_reuse_and_in_place_growth_keep_values_intact() {
    let rounds = 2000u32;
    let execution = run_ok("selftest", &scenario("heap").write(&rounds).unwrap());
    let (mut total, mut kept, mut count) = (0u64, 0u64, 0u64);
    for round in 0..rounds {
        let grow: Vec<u64> = (0..round % 50)
            .map(|i| u64::from(i) * u64::from(round))
            .collect();
        let temporary = vec![round as u8; (round as usize % 300) + 1];
        total += grow.iter().sum::<u64>() + temporary.iter().map(|&b| u64::from(b)).sum::<u64>();
        if round % 7 == 0 {
            kept += grow.iter().sum::<u64>();
            count += 1;
        }
    }
    let mut output = PublicOutput::new(&execution.public_output);
    assert_eq!(
        output.read::<(u64, u64, u64)>().unwrap(),
        (total, count, kept)
    );
}

#[test]
fn zeroed_allocations_are_zero_on_reused_and_fresh_memory() {
    let execution = run_ok("selftest", &scenario("zeroed").write(&4096usize).unwrap());
    let mut output = PublicOutput::new(&execution.public_output);
    let (reused, nonzero_reused, nonzero_fresh) = output.read::<(bool, u64, u64)>().unwrap();
    assert!(
        reused,
        "the second block must reuse the freed one for this test to mean anything"
    );
    assert_eq!((nonzero_reused, nonzero_fresh), (0, 0));
}

type SyncResult = (
    u32,
    String,
    String,
    Vec<u32>,
    u64,
    Result<u64, u64>,
    u64,
    String,
    u64,
    bool,
);

#[test]
fn std_sync_types_work_single_threaded_and_threads_are_refused() {
    let execution = run_ok("selftest", &scenario("sync"));
    let mut output = PublicOutput::new(&execution.public_output);
    let expected: SyncResult = (
        3,
        "configured".into(),
        "configured".into(),
        vec![1, 2],
        5,
        Ok(15),
        20,
        "ab".into(),
        1,
        true,
    );
    assert_eq!(output.read::<SyncResult>().unwrap(), expected);
}

#[test]
fn clocks_are_unavailable_and_say_so() {
    let execution = run("selftest", &scenario("clock"));
    assert_eq!(execution.exit_code, 101);
    let message = execution.panic_message.unwrap();
    assert!(
        message.ends_with("time not implemented on this platform"),
        "{message}"
    );
}

#[test]
fn halt_sets_the_exit_code() {
    let execution = run("selftest", &scenario("exit"));
    assert_eq!((execution.exit_code, execution.panic_message), (7, None));
}

#[test]
fn cycle_count_advances_and_markers_are_no_ops() {
    let execution = run_ok("selftest", &scenario("cycles"));
    let mut output = PublicOutput::new(&execution.public_output);
    assert_eq!(
        output.read::<(u64, bool)>().unwrap(),
        ((0..1000).sum(), true)
    );
    let marker_ids: Vec<i64> = execution.markers.iter().map(|&(_, id)| id).collect();
    assert_eq!(marker_ids, [1, 2]);
}

#[test]
fn the_cycle_budget_is_enforced() {
    let program = guest("selftest");
    let options = ExecOptions {
        max_cycles: 100,
        ..ExecOptions::default()
    };
    let err = execute(&*program, &scenario("cycles"), &options).unwrap_err();
    assert!(
        err.to_string().contains("cycle budget of 100 exceeded"),
        "{err}"
    );
}

#[test]
fn toolchain_setup_is_silent_once_installed() {
    let setup = droste_sdk::repo_root().join("toolchain/setup.sh");
    // The first run installs whatever is missing; the second must find everything and say nothing.
    let first = std::process::Command::new("bash")
        .arg(&setup)
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = std::process::Command::new("bash")
        .arg(&setup)
        .output()
        .unwrap();
    assert!(second.status.success());
    assert_eq!(
        (
            String::from_utf8_lossy(&second.stdout),
            String::from_utf8_lossy(&second.stderr)
        ),
        ("".into(), "".into())
    );
}

/// A state with the extremes 0, 1 and `p - 1` and spread-out words below `p`.
fn poseidon2_state() -> [u32; 16] {
    let p = droste_isa::abi::poseidon2::MODULUS;
    let mut words: [u32; 16] =
        core::array::from_fn(|i| (i as u32 + 7).wrapping_mul(0x9e37_79b9) % p);
    words[..3].copy_from_slice(&[0, 1, p - 1]);
    words
}

/// The native permutation (Plonky3's, behind droste-pcs's hasher on the host), on canonical
/// words, and the Montgomery form of a canonical word.
fn native_poseidon2(words: [u32; 16]) -> [u32; 16] {
    use p3_field::{PrimeCharacteristicRing, PrimeField32};
    let mut state = words.map(droste_pcs::Val::from_u32);
    droste_pcs::hash::Hasher::new().permute(&mut state);
    state.map(|x| x.as_canonical_u32())
}

fn montgomery(word: u32) -> u32 {
    use p3_field::{PrimeCharacteristicRing, PrimeField32};
    (droste_pcs::Val::from_u32(word) * droste_pcs::Val::from_u64(1 << 32)).as_canonical_u32()
}

#[test]
fn the_poseidon2_precompile_matches_the_native_permutation() {
    let state = poseidon2_state();
    let input = scenario("poseidon2")
        .write(&(state, state.map(montgomery)))
        .unwrap();
    let execution = run_ok("selftest", &input);
    let (in_place, misaligned, in_montgomery, from_first, from_second) =
        PublicOutput::new(&execution.public_output)
            .read::<([u32; 16], [u32; 16], [u32; 16], [u32; 16], [u32; 16])>()
            .unwrap();
    let expected = native_poseidon2(state);
    assert_eq!(in_place, expected);
    assert_eq!(misaligned, expected);
    assert_eq!(in_montgomery, expected.map(montgomery));
    // POSEIDON2_FROM: the second half in place of the first; in place of itself.
    let mut doubled = state;
    doubled.copy_within(8..16, 0);
    assert_eq!(from_first, native_poseidon2(doubled));
    assert_eq!(from_second, expected);
}

#[test]
fn the_ext_combine_precompile_matches_field_arithmetic() {
    use droste_executor::ext_combine::{ext_from_words, ext_to_words, Ext};
    use droste_executor::poseidon2::word_to_field;
    use p3_field::PrimeCharacteristicRing;
    let words = poseidon2_state();
    let values = words[..10].to_vec();
    let (alpha, w): ([u32; 4], [u32; 4]) = (
        words[10..14].try_into().unwrap(),
        words[12..16].try_into().unwrap(),
    );
    let input = scenario("ext-combine")
        .write(&(values.clone(), alpha, w))
        .unwrap();
    let execution = run_ok("selftest", &input);
    let (in_place, misaligned, odd) = PublicOutput::new(&execution.public_output)
        .read::<([u32; 4], [u32; 4], [u32; 4])>()
        .unwrap();
    let expected = |values: &[u32]| {
        let (alpha, w) = (ext_from_words(&alpha), ext_from_words(&w));
        let sum: Ext = values
            .iter()
            .enumerate()
            .map(|(c, &v)| w * alpha.exp_u64(c as u64) * word_to_field(v, true))
            .sum();
        ext_to_words(sum)
    };
    assert_eq!(in_place, expected(&values));
    assert_eq!(misaligned, expected(&values));
    assert_eq!(odd, expected(&values[..9]));
}

#[test]
fn the_pcs_hasher_is_the_precompile_in_a_guest() {
    use p3_field::{PrimeCharacteristicRing, PrimeField32};
    let elements: Vec<u32> = (0..11u32).map(|i| i * 1_000_003 + 5).collect();
    let input = scenario("pcs-hasher").write(&elements).unwrap();
    let options = ExecOptions {
        profile: true,
        ..ExecOptions::default()
    };
    let execution = execute(&*guest("selftest"), &input, &options).unwrap();
    assert_eq!(execution.exit_code, 0);
    let hasher = droste_pcs::hash::Hasher::new();
    let values: Vec<droste_pcs::Val> = elements
        .iter()
        .map(|&e| droste_pcs::Val::from_u32(e))
        .collect();
    let digest = hasher.hash_slice(&values);
    let compressed = hasher.compress(&digest, &digest);
    let mut state = [droste_pcs::Val::ZERO; 16];
    state[..11].copy_from_slice(&values);
    hasher.permute(&mut state);
    let words =
        |xs: &[droste_pcs::Val]| -> Vec<u32> { xs.iter().map(|x| x.as_canonical_u32()).collect() };
    let mut output = PublicOutput::new(&execution.public_output);
    assert_eq!(
        output.read::<(Vec<u32>, Vec<u32>, Vec<u32>)>().unwrap(),
        (words(&digest), words(&compressed), words(&state))
    );
    // Every permutation was a precompile call: two for the 11-element leaf (rate 8), one for the
    // compression, one bare, which alone fills step marker 1's phase (software Poseidon2 takes
    // about 15,000 cycles).
    let profile = execution.profile.unwrap();
    let calls = &profile.precompiles[0];
    assert_eq!((calls.name, calls.calls), ("poseidon2", 4));
    assert!(calls.markers.contains(&(Some(1), 1)), "{:?}", calls.markers);
    let phase = profile
        .markers
        .iter()
        .find(|m| m.marker == Some(1))
        .unwrap();
    assert!(
        phase.cycles < 100,
        "{} cycles for one permutation",
        phase.cycles
    );
}
