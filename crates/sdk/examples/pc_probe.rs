use droste_sdk::*;
fn main() {
    let fib = std::fs::read(build_guest("guests/fibonacci").unwrap()).unwrap();
    let rec_path = build_guest("guests/recursion").unwrap();
    let rec = std::fs::read(&rec_path).unwrap();
    let prover = Prover::new(&fib, ProofOptions::secure()).unwrap();
    let proof = prover
        .prove(&Input::new().write_slice(&1000u64.to_le_bytes()))
        .unwrap();
    let request = droste_zkvm::recursion::RecursionRequest {
        recursion_vkey: [0; 8],
        proofs: 1,
    };
    let input = Input::new()
        .write(&request)
        .unwrap()
        .write_proof(proof.bytes(), prover.verifying_key());
    let program = droste_executor::Program::from_elf(&rec).unwrap();
    let opts = ExecOptions {
        max_cycles: 1 << 32,
        record: false,
        profile: false,
    };
    let mut m = droste_executor::Machine::new(&program, input.as_executor_input(), &opts).unwrap();
    let lo: u64 = u64::from_str_radix(&std::env::args().nth(1).unwrap(), 16).unwrap();
    let hi: u64 = u64::from_str_radix(&std::env::args().nth(2).unwrap(), 16).unwrap();
    let mut hist = vec![0u64; ((hi - lo) / 4) as usize];
    while m.exit().is_none() {
        let pc = m.pc();
        if pc >= lo && pc < hi {
            hist[((pc - lo) / 4) as usize] += 1;
        }
        m.step().unwrap();
    }
    let mut v: Vec<(u64, u64)> = hist
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(i, &c)| (lo + 4 * i as u64, c))
        .collect();
    let total: u64 = v.iter().map(|x| x.1).sum();
    println!("total in range {total}");
    v.sort_by_key(|x| std::cmp::Reverse(x.1));
    for (pc, c) in v.iter().take(80) {
        println!("{pc:x} {c}");
    }
}
