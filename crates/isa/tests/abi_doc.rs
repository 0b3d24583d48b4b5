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
    for (name, number) in calls {
        let row = format!("| {number} | `{name}` |");
        assert!(
            DOC.contains(&row),
            "docs/abi.md lacks the row starting {row}"
        );
    }
    let precompiles = format!(
        "| `{:#x}` and up | `PRECOMPILE_BASE` |",
        syscall::PRECOMPILE_BASE
    );
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
