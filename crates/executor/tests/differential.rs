//! ISA conformance: random RV64IM programs run on droste and on `qemu-riscv64` must leave the
//! same registers and the same data buffer.
//!
//! Each program is a small ELF: a prologue loads every register from a table of edge values, a
//! random body (every opcode, edge-value operands, misaligned loads/stores of every width into a
//! buffer, short forward branches and jumps) runs, and an epilogue stores all registers next to
//! the buffer and writes both to stdout with Linux `write` + `exit`. droste runs the same file
//! and stops at the epilogue's first instruction (`Machine::run_until_pc`), so the Linux system
//! calls are only ever executed by qemu.
//!
//! `DROSTE_DIFF_PROGRAMS=N` sets the number of programs (default 300), `DROSTE_DIFF_SEED=S` the
//! seed of the first (program i uses seed S + i; failures print theirs). qemu-user is installed by
//! `toolchain/setup.sh`; its absence fails the test unless `DROSTE_SKIP_QEMU=1`.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use droste_executor::elf_builder::{encode_all, ElfBuilder, Perm};
use droste_executor::{ExecOptions, Input, Machine, Program};
use droste_isa::{abi, Format, Instruction, Opcode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TEXT: u64 = abi::PROGRAM_START;
const DATA: u64 = 0x4_0000;
/// Offsets inside the data segment.
const INIT_TABLE: u64 = 0;
const DUMP: u64 = 32 * 8;
const BUFFER: u64 = 2 * 32 * 8;
const BUFFER_LEN: u64 = 256;
const QEMU: &str = "qemu-riscv64";

/// Values that stress carries, signs, overflow and the 32-bit boundary.
const EDGE_VALUES: [u64; 14] = [
    0,
    1,
    u64::MAX,
    i64::MIN as u64,
    i64::MAX as u64,
    i32::MIN as i64 as u64,
    i32::MAX as u64,
    u32::MAX as u64,
    0x8000_0000,
    0x1_0000_0000,
    2,
    (-2i64) as u64,
    31,
    63,
];

/// A run of instructions that must execute as a unit (branches skip whole groups).
enum Group {
    Plain(Vec<Instruction>),
    /// A branch or jump over the next `skip` groups; `make(offset)` builds it (and any setup)
    /// given the byte offset from the jump to its target.
    Jump {
        skip: usize,
        make: Box<dyn Fn(i32) -> Vec<Instruction>>,
        len: usize,
    },
}

impl Group {
    fn len(&self) -> usize {
        match self {
            Group::Plain(code) => code.len(),
            Group::Jump { len, .. } => *len,
        }
    }
}

struct Generator {
    rng: StdRng,
    /// The register holding the data segment's address; the body never writes it.
    base: u8,
}

impl Generator {
    fn reg(&mut self) -> u8 {
        self.rng.gen_range(0..32)
    }

    /// A destination: any register but the base (x0 included: writes to it must vanish).
    fn dest(&mut self) -> u8 {
        loop {
            let r = self.reg();
            if r != self.base {
                return r;
            }
        }
    }

    /// A scratch register for address setup: not x0 and not the base.
    fn scratch(&mut self) -> u8 {
        loop {
            let r = self.reg();
            if r != self.base && r != 0 {
                return r;
            }
        }
    }

    fn imm12(&mut self) -> i32 {
        match self.rng.gen_range(0..6) {
            0 => 0,
            1 => -1,
            2 => 2047,
            3 => -2048,
            4 => self.rng.gen_range(-8..8),
            _ => self.rng.gen_range(-2048..2048),
        }
    }

    fn shamt(&mut self, bits: i32) -> i32 {
        match self.rng.gen_range(0..4) {
            0 => 0,
            1 => bits - 1,
            2 => bits / 2,
            _ => self.rng.gen_range(0..bits),
        }
    }

    /// `lui`/`addi` loading a 32-bit constant into `rd`.
    fn load_constant(rd: u8, value: i32) -> [Instruction; 2] {
        let upper = value.wrapping_add(0x800) & !0xfff;
        [
            Instruction::u(Opcode::Lui, rd, upper),
            Instruction::i(Opcode::Addi, rd, rd, value.wrapping_sub(upper)),
        ]
    }

    fn group(&mut self) -> Group {
        let opcode = Opcode::ALL[self.rng.gen_range(0..Opcode::COUNT)];
        match opcode.format() {
            _ if opcode.load_op().is_some() || opcode.store_width().is_some() => {
                self.memory_access(opcode)
            }
            Format::R => Group::Plain(vec![Instruction::r(
                opcode,
                self.dest(),
                self.reg(),
                self.reg(),
            )]),
            Format::I if opcode == Opcode::Jalr => self.jalr(),
            Format::I => {
                let rd = self.dest();
                let rs1 = self.reg();
                if opcode == Opcode::Addi && self.rng.gen_ratio(1, 8) {
                    // Reload an edge value from the initial table, or place a step marker.
                    return Group::Plain(if self.rng.gen() {
                        let slot = self.rng.gen_range(0..32) * 8;
                        vec![Instruction::i(
                            Opcode::Ld,
                            rd,
                            self.base,
                            (INIT_TABLE + slot) as i32,
                        )]
                    } else {
                        vec![Instruction::i(
                            Opcode::Addi,
                            0,
                            0,
                            self.rng.gen_range(1..100),
                        )]
                    });
                }
                Group::Plain(vec![Instruction::i(opcode, rd, rs1, self.imm12())])
            }
            Format::Shift => {
                let bits = if matches!(opcode, Opcode::Slli | Opcode::Srli | Opcode::Srai) {
                    64
                } else {
                    32
                };
                Group::Plain(vec![Instruction::i(
                    opcode,
                    self.dest(),
                    self.reg(),
                    self.shamt(bits),
                )])
            }
            Format::U => {
                let imm = self.rng.gen::<i32>() & !0xfff;
                Group::Plain(vec![Instruction::u(opcode, self.dest(), imm)])
            }
            Format::B => {
                let (rs1, rs2) = (self.reg(), self.reg());
                let skip = self.rng.gen_range(0..4);
                Group::Jump {
                    skip,
                    make: Box::new(move |offset| vec![Instruction::s(opcode, rs1, rs2, offset)]),
                    len: 1,
                }
            }
            Format::J => {
                let rd = self.dest();
                let skip = self.rng.gen_range(0..4);
                Group::Jump {
                    skip,
                    make: Box::new(move |offset| vec![Instruction::u(Opcode::Jal, rd, offset)]),
                    len: 1,
                }
            }
            Format::Fence => Group::Plain(vec![Instruction::fence()]),
            // ecall/ebreak would leave the comparable part of the program.
            Format::System | Format::S => Group::Plain(vec![Instruction::nop()]),
        }
    }

    /// `auipc t, 0; jalr rd, off(t)` over the next groups; `off` sometimes has bit 0 set, which
    /// `jalr` must clear.
    fn jalr(&mut self) -> Group {
        let (scratch, rd) = (self.scratch(), self.dest());
        let skip = self.rng.gen_range(0..4);
        let low_bit = self.rng.gen_range(0..2);
        Group::Jump {
            skip,
            // The target offset is measured from the jalr; auipc is 4 bytes before it.
            make: Box::new(move |offset| {
                vec![
                    Instruction::u(Opcode::Auipc, scratch, 0),
                    Instruction::i(Opcode::Jalr, rd, scratch, offset + 4 + low_bit),
                ]
            }),
            len: 2,
        }
    }

    /// Sets a scratch register so that `imm(scratch)` hits the buffer at a random (often
    /// misaligned) offset, then loads or stores.
    fn memory_access(&mut self, opcode: Opcode) -> Group {
        let scratch = self.scratch();
        let imm = self.imm12();
        let offset = self.rng.gen_range(0..=BUFFER_LEN - 8) as i32;
        let target = (DATA + BUFFER) as i32 + offset;
        let mut code = Self::load_constant(scratch, target - imm).to_vec();
        code.push(match opcode.store_width() {
            Some(_) => Instruction::s(opcode, scratch, self.reg(), imm),
            None => Instruction::i(opcode, self.dest(), scratch, imm),
        });
        Group::Plain(code)
    }
}

struct TestProgram {
    elf: Vec<u8>,
    epilogue: u64,
    listing: String,
}

fn generate(seed: u64) -> TestProgram {
    let mut rng = StdRng::seed_from_u64(seed);
    let base = rng.gen_range(1..32);
    let mut gen = Generator { rng, base };

    let mut data = vec![0u8; (BUFFER + BUFFER_LEN) as usize];
    for slot in 0..32 {
        let value = if gen.rng.gen_ratio(3, 4) {
            EDGE_VALUES[gen.rng.gen_range(0..EDGE_VALUES.len())]
        } else {
            gen.rng.gen()
        };
        data[slot * 8..slot * 8 + 8].copy_from_slice(&value.to_le_bytes());
    }
    gen.rng.fill(&mut data[BUFFER as usize..]);

    let mut code: Vec<Instruction> = Generator::load_constant(base, DATA as i32).to_vec();
    for r in (1..32).filter(|r| *r != base) {
        code.push(Instruction::i(
            Opcode::Ld,
            r,
            base,
            (INIT_TABLE + 8 * u64::from(r)) as i32,
        ));
    }
    let groups: Vec<Group> = (0..gen.rng.gen_range(10..60))
        .map(|_| gen.group())
        .collect();
    for (index, group) in groups.iter().enumerate() {
        match group {
            Group::Plain(instructions) => code.extend_from_slice(instructions),
            Group::Jump { skip, make, .. } => {
                let skipped: usize = groups[index + 1..].iter().take(*skip).map(Group::len).sum();
                // Offset from the last instruction of the group (the jump) to the target.
                code.extend(make(4 * (skipped as i32 + 1)));
            }
        }
    }
    let epilogue = TEXT + 4 * code.len() as u64;
    for r in 0..32u8 {
        code.push(Instruction::s(
            Opcode::Sd,
            base,
            r,
            (DUMP + 8 * u64::from(r)) as i32,
        ));
    }
    code.extend([
        // a1 first: the base register may be a0.
        Instruction::i(Opcode::Addi, 11, base, DUMP as i32),
        Instruction::i(Opcode::Addi, 10, 0, 1),
        Instruction::i(Opcode::Addi, 12, 0, (32 * 8 + BUFFER_LEN) as i32),
        Instruction::i(Opcode::Addi, 17, 0, 64), // Linux write
        Instruction::system(Opcode::Ecall),
        Instruction::i(Opcode::Addi, 10, 0, 0),
        Instruction::i(Opcode::Addi, 17, 0, 93), // Linux exit
        Instruction::system(Opcode::Ecall),
    ]);
    let listing = code
        .iter()
        .enumerate()
        .map(|(i, inst)| format!("{:#x}: {inst}", TEXT + 4 * i as u64))
        .collect::<Vec<_>>()
        .join("\n");
    let mut elf = ElfBuilder::new(TEXT);
    elf.segment(
        TEXT,
        encode_all(&code).expect("generated instructions encode"),
        4 * code.len() as u64,
        Perm::ReadExecute,
    );
    elf.segment(DATA, data, BUFFER + BUFFER_LEN, Perm::ReadWrite);
    TestProgram {
        elf: elf.build(),
        epilogue,
        listing,
    }
}

/// Registers and buffer as qemu left them.
fn run_qemu(elf: &[u8]) -> Result<Vec<u8>, String> {
    let mut file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    file.write_all(elf).map_err(|e| e.to_string())?;
    // qemu-user, like the kernel, refuses to load a file without execute permission.
    let executable = std::fs::Permissions::from_mode(0o700);
    std::fs::set_permissions(file.path(), executable).map_err(|e| e.to_string())?;
    let output = Command::new(QEMU)
        .arg(file.path())
        .output()
        .map_err(|e| format!("{QEMU}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{QEMU} failed: {:?} {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(output.stdout)
}

/// Registers and buffer as droste left them at the epilogue.
fn run_droste(program: &TestProgram) -> Result<Vec<u8>, String> {
    let program_bytes = &program.elf;
    let loaded = Program::from_elf(program_bytes).map_err(|e| e.to_string())?;
    let input = Input::default();
    let mut machine =
        Machine::new(&loaded, &input, &ExecOptions::default()).map_err(|e| e.to_string())?;
    if !machine
        .run_until_pc(program.epilogue)
        .map_err(|e| e.to_string())?
    {
        return Err("droste halted before the epilogue".into());
    }
    let mut state: Vec<u8> = machine
        .registers()
        .iter()
        .flat_map(|r| r.to_le_bytes())
        .collect();
    state.extend(
        machine
            .read_memory(DATA + BUFFER, BUFFER_LEN)
            .map_err(|e| e.to_string())?,
    );
    Ok(state)
}

fn describe_difference(qemu: &[u8], droste: &[u8]) -> String {
    if qemu.len() != droste.len() {
        return format!(
            "output lengths differ: qemu {} bytes, droste {}",
            qemu.len(),
            droste.len()
        );
    }
    let word =
        |bytes: &[u8], i: usize| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().unwrap());
    let mut lines = Vec::new();
    for i in 0..32 {
        if word(qemu, i) != word(droste, i) {
            lines.push(format!(
                "x{i}: qemu {:#018x} droste {:#018x}",
                word(qemu, i),
                word(droste, i)
            ));
        }
    }
    for offset in 0..BUFFER_LEN as usize {
        let (q, d) = (qemu[256 + offset], droste[256 + offset]);
        if q != d {
            lines.push(format!("buffer[{offset}]: qemu {q:#04x} droste {d:#04x}"));
        }
    }
    lines.join("\n")
}

fn qemu_available() -> bool {
    Command::new(QEMU)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn random_programs_match_qemu() {
    if !qemu_available() {
        if std::env::var("DROSTE_SKIP_QEMU").as_deref() == Ok("1") {
            eprintln!(
                "SKIPPED: {QEMU} not found and DROSTE_SKIP_QEMU=1; ISA conformance NOT checked"
            );
            return;
        }
        panic!("{QEMU} not found: run toolchain/setup.sh (installs qemu-user), or set DROSTE_SKIP_QEMU=1");
    }
    let count: u64 = std::env::var("DROSTE_DIFF_PROGRAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("DROSTE_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
    eprintln!("differential test: {count} programs from seed {seed}");
    for i in 0..count {
        let program_seed = seed.wrapping_add(i);
        let program = generate(program_seed);
        let context = || {
            format!("program seed {program_seed} (rerun: DROSTE_DIFF_SEED={program_seed} DROSTE_DIFF_PROGRAMS=1)\n{}", program.listing)
        };
        let qemu = run_qemu(&program.elf).unwrap_or_else(|e| panic!("{e}\n{}", context()));
        let droste = run_droste(&program).unwrap_or_else(|e| panic!("droste: {e}\n{}", context()));
        if qemu != droste {
            panic!(
                "droste and qemu disagree:\n{}\n{}",
                describe_difference(&qemu, &droste),
                context()
            );
        }
    }
}
