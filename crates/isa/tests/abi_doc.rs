//! `docs/abi.md` states every ABI number; this keeps it in step with `abi.rs`.

use droste_isa::abi::{self, syscall};

const DOC: &str = include_str!("../../../docs/abi.md");

#[test]
fn the_memory_map_table_matches_abi_rs() {
    let constants = [
        ("PROGRAM_START", abi::PROGRAM_START),
        ("HEAP_END", abi::HEAP_END),
        ("STACK_SIZE", abi::STACK_SIZE),
        ("STACK_TOP", abi::STACK_TOP),
        ("INPUT_START", abi::INPUT_START),
        ("INPUT_HEADER_LEN", abi::INPUT_HEADER_LEN),
        ("INPUT_PAYLOAD_START", abi::INPUT_PAYLOAD_START),
        ("INPUT_MAX_LEN", abi::INPUT_MAX_LEN),
        ("MEMORY_END", abi::MEMORY_END),
    ];
    for (name, value) in constants {
        let row = format!("| `{name}` | `{value:#x}` |");
        assert!(
            DOC.contains(&row),
            "docs/abi.md lacks the row starting {row}"
        );
    }
}

#[test]
fn the_syscall_table_matches_abi_rs() {
    let calls = [
        ("HALT", syscall::HALT),
        ("WRITE", syscall::WRITE),
        ("COMMIT", syscall::COMMIT),
        ("PANIC", syscall::PANIC),
        ("CYCLE_COUNT", syscall::CYCLE_COUNT),
        ("INPUT_LEN", syscall::INPUT_LEN),
        ("INPUT_READ", syscall::INPUT_READ),
        ("RANDOM", syscall::RANDOM),
    ];
    let hex_calls = [
        ("POSEIDON2", syscall::POSEIDON2),
        ("EXT_COMBINE", syscall::EXT_COMBINE),
        ("POSEIDON2_FROM", syscall::POSEIDON2_FROM),
    ];
    for (name, number) in calls {
        let row = format!("| {number} | `{name}` |");
        assert!(
            DOC.contains(&row),
            "docs/abi.md lacks the row starting {row}"
        );
    }
    for (name, number) in hex_calls {
        let row = format!("| `{number:#x}` | `{name}` |");
        assert!(
            DOC.contains(&row),
            "docs/abi.md lacks the row starting {row}"
        );
    }
    let precompiles = format!("`PRECOMPILE_BASE` = `{:#x}`", syscall::PRECOMPILE_BASE);
    assert!(
        DOC.contains(&precompiles),
        "docs/abi.md lacks {precompiles}"
    );
    let panic_code = format!("exit code `PANIC_EXIT_CODE` ({})", abi::PANIC_EXIT_CODE);
    assert!(DOC.contains(&panic_code), "docs/abi.md lacks {panic_code}");
    let fds = format!(
        "`a0` = fd ({} stdout, {} stderr)",
        abi::fd::STDOUT,
        abi::fd::STDERR
    );
    assert!(DOC.contains(&fds), "docs/abi.md lacks {fds}");
}

#[test]
fn the_ext_combine_constants_match_abi_rs() {
    use droste_isa::abi::ext_combine;
    for fact in [
        format!("aligned to `ALIGN` = {} bytes", ext_combine::ALIGN),
        format!("`BLOCK_BYTES` = {} bytes", ext_combine::BLOCK_BYTES),
        format!("`W` = {}", ext_combine::W),
    ] {
        assert!(DOC.contains(&fact), "docs/abi.md lacks {fact}");
    }
}

#[test]
fn the_poseidon2_constants_match_abi_rs() {
    use droste_isa::abi::poseidon2;
    for fact in [
        format!("`MODULUS` = `{:#x}`", poseidon2::MODULUS),
        format!("({} bytes, `STATE_BYTES`)", poseidon2::STATE_BYTES),
        format!("`STATE_ALIGN` = {} bytes", poseidon2::STATE_ALIGN),
        format!("`CANONICAL` ({})", poseidon2::CANONICAL),
        format!("`MONTGOMERY` ({})", poseidon2::MONTGOMERY),
    ] {
        assert!(DOC.contains(&fact), "docs/abi.md lacks {fact}");
    }
    assert_eq!(poseidon2::MODULUS, (1 << 31) - (1 << 24) + 1);
}
