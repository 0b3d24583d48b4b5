//! ELF loading: valid files load with their segments and symbols; every malformed file gives
//! its own one-line error and never a panic.

mod common;

use common::{halt, DATA, TEXT};
use droste_executor::elf_builder::{ElfBuilder, Perm};
use droste_executor::{ElfError, Program};
use droste_isa::abi;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn valid_builder() -> ElfBuilder {
    let mut builder = ElfBuilder::new(TEXT);
    builder.code(TEXT, &halt(0)).unwrap();
    builder.segment(DATA, b"data".to_vec(), 0x100, Perm::ReadWrite);
    builder.symbol("_ZN5guest4main17h0123456789abcdefE", TEXT, TEXT + 12);
    builder
}

fn load(builder: &ElfBuilder) -> Result<Program, ElfError> {
    Program::from_elf(&builder.build())
}

fn patched(at: usize, bytes: &[u8]) -> Result<Program, ElfError> {
    let mut elf = valid_builder().build();
    elf[at..at + bytes.len()].copy_from_slice(bytes);
    Program::from_elf(&elf)
}

#[test]
fn a_valid_file_loads_segments_entry_and_demangled_symbols() {
    let program = load(&valid_builder()).unwrap();
    assert_eq!(program.entry(), TEXT);
    let segments = program.segments();
    assert_eq!(segments.len(), 2);
    assert!(segments[0].executable && !segments[0].writable);
    assert_eq!(
        (
            segments[1].vaddr,
            segments[1].mem_size,
            &segments[1].data[..]
        ),
        (DATA, 0x100, &b"data"[..])
    );
    assert!(segments[1].writable && !segments[1].executable);
    assert_eq!(program.symbols().len(), 1);
    assert_eq!(program.symbols()[0].name, "guest::main");
    assert_eq!(
        (program.symbols()[0].start, program.symbols()[0].end),
        (TEXT, TEXT + 12)
    );
    assert_eq!(program.code_range(), (TEXT, 3));
    assert!(program.instruction_at(TEXT + 8).is_some());
    assert_eq!(program.instruction_at(TEXT + 12), None);
    assert_eq!(program.instruction_at(TEXT + 2), None);
    assert_eq!(program.word_at(TEXT + 8), Some(0x0000_0073));
}

#[test]
fn truncated_files_are_rejected() {
    let elf = valid_builder().build();
    for len in [0, 3, 4, 16, 63, 64, 100, 0x1000, 0x1004] {
        let error = Program::from_elf(&elf[..len]).unwrap_err();
        // Named in the file's terms, not the parser's ("type is too big (2) for 0").
        let message = error.to_string();
        assert!(!message.contains("too big"), "{len} bytes: {message}");
        if len < 0x1000 {
            assert_eq!(error, ElfError::Truncated { len: len as u64 }, "{message}");
        }
    }
    assert_eq!(
        Program::from_elf(b"not an elf at all").unwrap_err(),
        ElfError::NotElf
    );
}

#[test]
fn wrong_class_byte_order_machine_type_or_flags_are_named() {
    assert_eq!(patched(4, &[1]).unwrap_err(), ElfError::Not64Bit);
    assert_eq!(patched(5, &[2]).unwrap_err(), ElfError::BigEndian);
    assert_eq!(
        patched(18, &62u16.to_le_bytes()).unwrap_err(),
        ElfError::WrongMachine {
            machine: 62,
            expected: 243
        }
    );
    assert!(matches!(
        patched(16, &3u16.to_le_bytes()),
        Err(ElfError::NotExecutable { .. })
    ));
    assert_eq!(
        patched(48, &1u32.to_le_bytes()).unwrap_err(),
        ElfError::CompressedCode
    );
}

#[test]
fn overlapping_segments_are_rejected() {
    let mut builder = valid_builder();
    builder.segment(DATA + 0x80, vec![0; 4], 0x100, Perm::ReadWrite);
    assert_eq!(
        load(&builder).unwrap_err(),
        ElfError::OverlappingSegments {
            first_start: DATA,
            first_end: DATA + 0x100,
            second_start: DATA + 0x80,
            second_end: DATA + 0x180
        }
    );
}

#[test]
fn segments_outside_the_program_region_are_rejected() {
    for (vaddr, mem_size) in [
        (0x1000, 0x10),
        (abi::PROGRAM_START - 4, 8),
        (abi::HEAP_END - 4, 8),
        (abi::STACK_TOP, 4),
        (u64::MAX - 4, 16),
    ] {
        let mut builder = valid_builder();
        builder.segment(vaddr, vec![], mem_size, Perm::ReadWrite);
        assert!(
            matches!(load(&builder), Err(ElfError::SegmentOutsideMap { start, .. }) if start == vaddr),
            "{vaddr:#x}"
        );
    }
    let mut builder = valid_builder();
    builder.segment(abi::HEAP_END - 8, vec![], 8, Perm::ReadWrite);
    assert!(
        load(&builder).is_ok(),
        "a segment ending exactly at HEAP_END is fine"
    );
}

#[test]
fn file_size_larger_than_memory_size_is_rejected() {
    let mut builder = valid_builder();
    builder.segment(0x9_0000, vec![1; 16], 8, Perm::ReadWrite);
    assert_eq!(
        load(&builder).unwrap_err(),
        ElfError::FileSizeExceedsMemSize {
            vaddr: 0x9_0000,
            file_size: 16,
            mem_size: 8
        }
    );
}

#[test]
fn segment_bytes_outside_the_file_are_rejected() {
    // p_offset of the first program header (at 64 + 8) pointed past the end of the file.
    let result = patched(64 + 8, &0x10_0000u64.to_le_bytes());
    assert!(
        matches!(
            result,
            Err(ElfError::SegmentDataOutsideFile {
                offset: 0x10_0000,
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn the_entry_must_be_an_aligned_address_in_an_executable_segment() {
    for entry in [DATA, TEXT + 2, TEXT + 12, 0] {
        let mut builder = ElfBuilder::new(entry);
        builder.code(TEXT, &halt(0)).unwrap();
        builder.segment(DATA, vec![], 0x100, Perm::ReadWrite);
        assert_eq!(
            load(&builder).unwrap_err(),
            ElfError::EntryNotExecutable { entry },
            "{entry:#x}"
        );
    }
}

#[test]
fn a_file_without_loadable_segments_is_rejected() {
    let builder = ElfBuilder::new(TEXT);
    assert_eq!(load(&builder).unwrap_err(), ElfError::NoLoadSegment);
}

#[test]
fn an_oversized_code_span_is_rejected() {
    let mut builder = valid_builder();
    builder.segment(
        abi::HEAP_END - 0x1000,
        vec![0x13, 0, 0, 0],
        0x1000,
        Perm::ReadExecute,
    );
    assert!(matches!(load(&builder), Err(ElfError::CodeTooLarge { .. })));
}

#[test]
fn errors_are_one_line() {
    let errors = [
        patched(4, &[1]),
        patched(18, &[0, 0]),
        patched(64 + 8, &[0xff; 8]),
        Program::from_elf(&[0x7f]),
    ];
    for error in errors {
        let message = error.unwrap_err().to_string();
        assert!(
            !message.contains('\n') && !message.is_empty(),
            "{message:?}"
        );
    }
}

/// Random byte mutations of a valid file: loading may fail but must never panic.
#[test]
fn mutated_files_never_panic() {
    let original = valid_builder().build();
    let mut rng = StdRng::seed_from_u64(7);
    let mut loaded = 0;
    for _ in 0..3000 {
        let mut elf = original.clone();
        for _ in 0..rng.gen_range(1..8) {
            // Mostly the headers, where the interesting fields are.
            let at = if rng.gen_ratio(3, 4) {
                rng.gen_range(0..64 + 56 * 2)
            } else {
                rng.gen_range(0..elf.len())
            };
            elf[at] = rng.gen();
        }
        if rng.gen_ratio(1, 10) {
            elf.truncate(rng.gen_range(0..elf.len()));
        }
        loaded += usize::from(Program::from_elf(&elf).is_ok());
    }
    assert!(
        loaded > 0,
        "no mutation loaded: the mutations are too destructive to test anything"
    );
}
