//! The chain example guest (`guests/chain`, docs/chains.md): a two-step chain is proven and its
//! last proof alone verifies with the ledger's state; a step refuses a proof of another program,
//! a tampered proof, a predecessor told another key digest, bad transactions and forged account
//! proofs (by execution: a refusal is a panic, which needs no proof to be seen).
//!
//! The chain is proven with the fast preset's parameters but 4 FRI queries instead of 85: at the
//! preset a step's in-guest verification of the previous proof costs about 14M cycles, and
//! proving it about two minutes and 15 GiB (BENCHMARKS.md), while the chain's mechanics do not
//! depend on the security level. Even so, proving the second step (about 4.9M cycles) is this
//! file's main cost: about a minute and 6 GiB.

mod common;

use std::sync::OnceLock;

use common::{guest, run, run_ok};
use droste_chain::{
    verified_link, words, Chain, Link, StepError, StepInput, Transaction, TxError, GENESIS_BALANCE,
};
use droste_machine::VerifyingKey;
use droste_pcs::Val;
use droste_sdk::{statement, Input, Proof, ProofOptions, Prover, Verifier};
use droste_zkvm::codec;
use droste_zkvm::recursion::Statement;
use p3_field::PrimeCharacteristicRing;

/// The test chain's options (see the module documentation).
fn options() -> ProofOptions {
    let mut options = ProofOptions::fast();
    options.fri.num_queries = 4;
    options
}

fn prover() -> Prover {
    Prover::new(&*guest("chain"), options()).unwrap()
}

/// The chain guest's verifying key, a chain after its genesis step, and that step's proof:
/// shared by the tests, proven once.
struct Genesis {
    vk: VerifyingKey,
    chain: Chain,
    proof: Proof,
}

fn genesis() -> &'static Genesis {
    static GENESIS: OnceLock<Genesis> = OnceLock::new();
    GENESIS.get_or_init(|| {
        let prover = prover();
        let mut chain = Chain::new(prover.vkey().unwrap().0);
        let (input, _) = chain
            .next(vec![
                Transaction::Open { account: 10 },
                Transaction::Transfer {
                    from: 0,
                    to: 10,
                    amount: 5,
                },
            ])
            .unwrap();
        let proof = prover.prove(&step_input(&input, None)).unwrap();
        Genesis {
            vk: prover.verifying_key().clone(),
            chain,
            proof,
        }
    })
}

/// A step's guest input: `input`, then the previous step's key and proof if there is one.
fn step_input(input: &StepInput, previous: Option<(&Proof, &VerifyingKey)>) -> Input {
    let guest_input = Input::new().write(input).unwrap();
    match previous {
        Some((proof, vk)) => guest_input.write_proof(proof.bytes(), vk),
        None => guest_input,
    }
}

/// Runs the chain guest on `input` and returns its panic message; fails if it did not panic.
fn refusal(input: &Input) -> String {
    let execution = run("chain", input);
    assert_eq!(execution.exit_code, 101, "the step was not refused");
    execution.panic_message.unwrap()
}

/// The next step after genesis, with the genesis proof under the chain's key, as a prover
/// would build it.
fn step_one(batch: Vec<Transaction>) -> (Chain, StepInput) {
    let mut chain = genesis().chain.clone();
    let (input, _) = chain.next(batch).unwrap();
    (chain, input)
}

#[test]
fn a_two_step_chain_proves_and_its_last_proof_verifies() {
    let genesis = genesis();
    let (chain, input) = step_one(vec![
        Transaction::Transfer {
            from: 10,
            to: 1,
            amount: 2,
        },
        Transaction::Open { account: 11 },
        // To itself: the second account proof is against the root after the debit.
        Transaction::Transfer {
            from: 10,
            to: 10,
            amount: 3,
        },
    ]);
    let input = step_input(&input, Some((&genesis.proof, &genesis.vk)));
    let execution = run_ok("chain", &input);
    let proof = prover().prove(&input).unwrap();
    assert_eq!(proof.public_values().public_output, execution.public_output);

    // The verifier of the chain: the key derived from the ELF, the last proof alone.
    let verifier = Verifier::new(&*guest("chain"), options()).unwrap();
    let public = verifier.verify(proof.bytes()).unwrap();
    let link = verified_link(&statement(public), &verifier.vkey().unwrap().0).unwrap();
    assert_eq!(link.step, 1);
    assert_eq!(Some(&link), chain.last());
    assert_eq!(link.root, words(&chain.ledger().root()));
    let ledger = chain.ledger();
    assert_eq!(ledger.balance(0), Some(GENESIS_BALANCE - 5));
    assert_eq!(ledger.balance(1), Some(GENESIS_BALANCE + 2));
    assert_eq!(ledger.balance(10), Some(3));
    assert_eq!(ledger.balance(11), Some(0));
    assert_eq!(ledger.balance(12), None);
    // The history is the genesis step's, extended by this batch: the two differ.
    assert_ne!(genesis.chain.last().unwrap().history, link.history);
}

#[test]
fn a_proof_of_another_program_is_refused() {
    let fibonacci = Prover::new(&*guest("fibonacci"), options()).unwrap();
    let proof = fibonacci
        .prove(&Input::new().write_slice(&20u64.to_le_bytes()))
        .unwrap();
    let (_, input) = step_one(vec![Transaction::Open { account: 20 }]);
    let message = refusal(&step_input(
        &input,
        Some((&proof, fibonacci.verifying_key())),
    ));
    assert!(
        message.contains("the previous proof is of another program"),
        "{message}"
    );
    // The chain's key with the other program's proof: the proof does not verify under it.
    let message = refusal(&step_input(&input, Some((&proof, &genesis().vk))));
    assert!(message.contains("the proof does not verify"), "{message}");
}

#[test]
fn a_tampered_previous_proof_is_refused() {
    let genesis = genesis();
    let (_, input) = step_one(vec![Transaction::Open { account: 20 }]);
    let mut bytes = genesis.proof.bytes().to_vec();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    let tampered = Input::new()
        .write(&input)
        .unwrap()
        .write_proof(&bytes, &genesis.vk);
    let message = refusal(&tampered);
    assert!(message.contains("the proof does not verify"), "{message}");
}

#[test]
fn a_predecessor_told_another_key_digest_is_refused() {
    let genesis = genesis();
    let prover = prover();
    let real = prover.vkey().unwrap().0;
    let other = [7; 8];
    assert_ne!(real, other);
    // A genuine genesis proof of the chain program, told the wrong digest.
    let mut misled = Chain::new(other);
    let (input, _) = misled
        .next(vec![Transaction::Open { account: 20 }])
        .unwrap();
    let proof = prover.prove(&step_input(&input, None)).unwrap();
    let previous = Some((&proof, &genesis.vk));
    let (mut input, _) = misled
        .next(vec![Transaction::Open { account: 21 }])
        .unwrap();

    // Told the real digest, the next step sees a predecessor that names another.
    input.chain_vkey = real;
    let message = refusal(&step_input(&input, previous));
    assert!(
        message.contains("the previous step was told another key digest"),
        "{message}"
    );
    // Told the same wrong digest, it sees that the proof is not of the program it names.
    input.chain_vkey = other;
    let message = refusal(&step_input(&input, previous));
    assert!(
        message.contains("the previous proof is of another program"),
        "{message}"
    );
}

#[test]
fn bad_transactions_are_refused_by_the_ledger_and_the_step() {
    let cases = [
        (
            Transaction::Transfer {
                from: 1,
                to: 2,
                amount: GENESIS_BALANCE + 1,
            },
            TxError::Overdraft {
                account: 1,
                balance: GENESIS_BALANCE,
                amount: GENESIS_BALANCE + 1,
            },
        ),
        (
            Transaction::Transfer {
                from: 99,
                to: 2,
                amount: 1,
            },
            TxError::UnknownAccount(99),
        ),
        (
            Transaction::Transfer {
                from: 2,
                to: 99,
                amount: 1,
            },
            TxError::UnknownAccount(99),
        ),
        (Transaction::Open { account: 3 }, TxError::AccountExists(3)),
    ];
    for (bad, error) in cases {
        let mut chain = Chain::new([0; 8]);
        let root = chain.ledger().root();
        let batch = vec![Transaction::Open { account: 50 }, bad];
        let refused = chain.next(batch.clone()).unwrap_err();
        let expected = StepError::Transaction { index: 1, error };
        assert_eq!(refused.error, expected);
        assert_eq!(
            chain.ledger().root(),
            root,
            "a refused batch changes nothing"
        );
        assert_eq!(chain.last(), None);

        // The step, given the same batch and the proofs up to the refusal, refuses it too.
        let input = StepInput {
            chain_vkey: [0; 8],
            continues: false,
            batch,
            proofs: refused.proofs,
        };
        let message = refusal(&step_input(&input, None));
        assert!(message.ends_with(&expected.to_string()), "{message}");
    }
}

#[test]
fn forged_account_proofs_are_refused() {
    let batch = vec![Transaction::Transfer {
        from: 1,
        to: 2,
        amount: 10,
    }];
    let (honest, _) = Chain::new([0; 8]).next(batch).unwrap();
    let run_with = |change: &dyn Fn(&mut StepInput)| {
        let mut input = honest.clone();
        change(&mut input);
        refusal(&step_input(&input, None))
    };
    // A richer sender than the state says.
    let message = run_with(&|input| input.proofs[0].balance = Some(GENESIS_BALANCE * 2));
    assert!(
        message.ends_with(&TxError::WrongProof(1).to_string()),
        "{message}"
    );
    // An existing recipient claimed absent.
    let message = run_with(&|input| input.proofs[1].balance = None);
    assert!(
        message.ends_with(&TxError::WrongProof(2).to_string()),
        "{message}"
    );
    // A sibling changed.
    let message = run_with(&|input| input.proofs[1].siblings[5][0] += Val::ONE);
    assert!(
        message.ends_with(&TxError::WrongProof(2).to_string()),
        "{message}"
    );
    let message = run_with(&|input| {
        input.proofs.pop();
    });
    assert!(
        message.ends_with(&TxError::MissingProof(2).to_string()),
        "{message}"
    );
    let message = run_with(&|input| input.proofs.push(input.proofs[0].clone()));
    assert!(
        message.ends_with("1 account proofs left unused"),
        "{message}"
    );
}

#[test]
fn verified_link_requires_the_chain_key_twice_and_a_successful_run() {
    let chain_vkey = [3; 8];
    let link = Link {
        chain_vkey,
        step: 4,
        root: [5; 8],
        history: [6; 8],
    };
    let statement_of = |vkey_digest, exit_code, link: &Link| Statement {
        vkey_digest,
        exit_code,
        public_output: codec::to_bytes(link).unwrap(),
    };
    assert_eq!(
        verified_link(&statement_of(chain_vkey, 0, &link), &chain_vkey),
        Ok(link)
    );
    assert!(matches!(
        verified_link(&statement_of([4; 8], 0, &link), &chain_vkey),
        Err(StepError::OtherProgram { .. })
    ));
    assert_eq!(
        verified_link(&statement_of(chain_vkey, 101, &link), &chain_vkey),
        Err(StepError::PreviousFailed(101))
    );
    // A forger's link: a genuine proof of the chain program that was told the forger's digest
    // proves a link naming it, which the chain's real digest refuses.
    let forged = Link {
        chain_vkey: [4; 8],
        ..link
    };
    assert_eq!(
        verified_link(&statement_of(chain_vkey, 0, &forged), &chain_vkey),
        Err(StepError::OtherChainKey([4; 8]))
    );
    let mut trailing = statement_of(chain_vkey, 0, &link);
    trailing.public_output.push(0);
    assert!(matches!(
        verified_link(&trailing, &chain_vkey),
        Err(StepError::NotALink(_))
    ));
}
