//! A chain of proofs: one proof of a ledger's whole history (issue 9, "chains").
//!
//! Each run of the guest (`src/main.rs`) is one *step*: it applies a batch of [`Transaction`]s
//! to a state of account balances, committed as a Poseidon2 Merkle root ([`merkle`]), and it
//! verifies the proof of the previous step of this same program. So the proof of the latest step
//! attests to every step since genesis, and its size and verification time do not grow with the
//! history. The genesis step (step 0) has no previous proof and starts from the fixed genesis
//! state ([`Ledger::genesis`]).
//!
//! Every step commits one [`Link`]: the key digest it was told is its own, its step number, the
//! state root after its batch, and the history, a hash chain over the genesis root and every
//! batch applied. A verifier of the last proof learns the current root (against which anyone can
//! prove a balance) and, with the history, exactly which transactions led there from genesis.
//!
//! # Why trusting the last proof is sound
//!
//! A program cannot contain its own verifying-key digest (the digest depends on the program), so
//! a step takes the digest `D` as input ([`StepInput::chain_vkey`]) and commits it. On a previous
//! proof it requires ([`verified_link`]): the proof verifies (in the guest, under the key passed
//! with it), that key's digest is `D`, the run exited with code 0, its output is a link, and that
//! link names `D` too.
//!
//! The verifier of the last proof `π_n` checks the same four things with the digest of the chain
//! program's real key (computed from the ELF it trusts, under the proof's preset):
//! `droste_sdk::verify` plus [`verified_link`]. Induction on the step number, as IVC
//! constructions argue: suppose a proof verifies under the chain program's key `K`, with
//! `digest(K) = D`, and its link names `D`. By the soundness of the proof, the chain program ran,
//! was told `D`, and either was the genesis step (the link's root and history are genesis's
//! after one valid batch) or accepted a previous proof under a key whose digest is `D`: that key
//! is `K` (a second key with the same digest is a Poseidon2 collision), and the previous link
//! names `D`, so the hypothesis holds for the previous proof, whose step number is one less.
//! Step numbers only grow, so the descent ends at a genesis step: every step from genesis to
//! `π_n` ran the chain program on valid batches.
//!
//! Both checks are needed. Without the key check a step could accept a proof of any program
//! committing a made-up link. Without the check of the previous link's digest, a step told the
//! digest `X` of a forger program would accept the forger's made-up link, and commit a link
//! naming `X` as a genuine proof of the chain program: the next step, told the real `D`, would
//! take it, although it rests on nothing. Telling a step the wrong digest only ever produces
//! links naming that digest, which the final verifier refuses.
//!
//! What this rests on: the soundness (knowledge soundness, for the induction) of each proof, at
//! the security of the options the chain's key fixes (the key digest binds the preset, so every
//! link of a chain is proven and verified at one preset: a chain proven with the fast preset has
//! the fast preset's security at every step), and collision resistance of Poseidon2, which
//! binds the key digest, the state root and the history. As in every deployed recursive system,
//! the extraction argument over an unbounded number of steps is heuristic.

pub mod ledger;
pub mod merkle;

use droste_pcs::hash::Hasher;
use droste_pcs::{Digest, Val};
use droste_zkvm::codec::{self, CodecError};
use droste_zkvm::recursion::Statement;
use p3_field::integers::QuotientMap;
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use serde::{Deserialize, Serialize};

pub use ledger::{Ledger, Refused, Transaction, TxError, GENESIS_ACCOUNTS, GENESIS_BALANCE};
pub use merkle::AccountProof;

use ledger::{batch_digest, Witnessed};

/// What every step commits, its whole public output: what the next step and the verifier of the
/// last proof read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Link {
    /// The digest the step was told is its own verifying key's. A verifier checks it against
    /// the real one ([`verified_link`]); the module documentation says why that makes the whole
    /// chain trustworthy.
    pub chain_vkey: [u32; 8],
    /// 0 for the genesis step, one more at each step after it.
    pub step: u64,
    /// The accounts' Merkle root after this step's batch (canonical field elements).
    pub root: [u32; 8],
    /// `compress(history before, digest of this step's batch)`, starting from the genesis root:
    /// whoever holds the batches can check that they are exactly the history.
    pub history: [u32; 8],
}

/// A step's first input item. The key and proof of the previous step follow when
/// [`continues`](Self::continues) is set (as `droste_sdk::Input::write_proof` writes them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInput {
    /// The digest of the chain program's own verifying key, under the options the chain is
    /// proven with. The step cannot know it; it commits it and requires it of its predecessor.
    pub chain_vkey: [u32; 8],
    /// Whether a previous step's proof follows; without one, this is the genesis step.
    pub continues: bool,
    /// The transactions this step applies, in order.
    pub batch: Vec<Transaction>,
    /// The account proofs the batch needs, in the order its transactions use them (what
    /// [`Ledger::apply`] returns).
    pub proofs: Vec<AccountProof>,
}

/// Why a step refused to extend the chain.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The previous proof's key is not the chain's.
    #[error(
        "the previous proof is of another program (key digest {proof:?}, the chain's is \
         {chain:?})"
    )]
    OtherProgram {
        /// The digest of the key the proof verified under.
        proof: [u32; 8],
        /// The digest the step was told is the chain's.
        chain: [u32; 8],
    },
    /// The previous step did not end successfully (its output may be partial).
    #[error("the previous step exited with code {0}, not 0")]
    PreviousFailed(u32),
    /// The previous proof's output does not decode as a link.
    #[error("the previous proof's output is not a chain link: {0}")]
    NotALink(CodecError),
    /// The previous link holds a word that is no canonical field element.
    #[error("the previous link holds a non-canonical field element")]
    NonCanonical,
    /// The previous step was told another digest for the chain's key.
    #[error("the previous step was told another key digest for the chain ({0:?})")]
    OtherChainKey([u32; 8]),
    /// The previous step is the last one a `u64` can number.
    #[error("the step number overflows")]
    StepOverflow,
    /// A transaction of the batch was refused.
    #[error("transaction {index}: {error}")]
    Transaction {
        /// Its position in the batch.
        index: usize,
        /// Why.
        error: TxError,
    },
    /// The witness holds more account proofs than the batch uses.
    #[error("{0} account proofs left unused")]
    UnusedProofs(usize),
}

/// The link a proof's statement proves, if it is one of the chain whose key digest is
/// `chain_vkey`: the check a step makes on the proof of its predecessor, and the one a verifier
/// of the last proof makes (with the real digest of the chain program's key).
pub fn verified_link(statement: &Statement, chain_vkey: &[u32; 8]) -> Result<Link, StepError> {
    if statement.vkey_digest != *chain_vkey {
        return Err(StepError::OtherProgram {
            proof: statement.vkey_digest,
            chain: *chain_vkey,
        });
    }
    if statement.exit_code != 0 {
        return Err(StepError::PreviousFailed(statement.exit_code));
    }
    let link: Link = codec::from_item(&statement.public_output).map_err(StepError::NotALink)?;
    if link.chain_vkey != *chain_vkey {
        return Err(StepError::OtherChainKey(link.chain_vkey));
    }
    Ok(link)
}

/// Runs one step: the link it commits, given its input and the statement of the previous proof,
/// already verified (`None` for the genesis step). The guest runs this; a host runs it too, to
/// know what a step will commit ([`Chain`]).
pub fn step(input: &StepInput, previous: Option<&Statement>) -> Result<Link, StepError> {
    let hasher = Hasher::new();
    let (step, root, history) = match previous {
        None => {
            let genesis = Ledger::genesis().root();
            (0, genesis, genesis)
        }
        Some(statement) => {
            let link = verified_link(statement, &input.chain_vkey)?;
            let step = link.step.checked_add(1).ok_or(StepError::StepOverflow)?;
            (step, digest(&link.root)?, digest(&link.history)?)
        }
    };
    let root = Witnessed::new(&hasher, root, &input.proofs).apply(&input.batch)?;
    let history = hasher.compress(&history, &batch_digest(&hasher, &input.batch));
    Ok(Link {
        chain_vkey: input.chain_vkey,
        step,
        root: words(&root),
        history: words(&history),
    })
}

/// A digest as canonical words, as links carry it.
pub fn words(digest: &Digest) -> [u32; 8] {
    digest.map(|value| value.as_canonical_u32())
}

fn digest(words: &[u32; 8]) -> Result<Digest, StepError> {
    let mut digest = [Val::ZERO; 8];
    for (value, &word) in digest.iter_mut().zip(words) {
        *value = Val::from_canonical_checked(word).ok_or(StepError::NonCanonical)?;
    }
    Ok(digest)
}

/// A host's view of a chain: the ledger after the last step, and the link that step commits.
/// [`Chain::next`] prepares the next step's input and runs the step natively, so the host knows
/// the link the step's proof must carry before proving it.
#[derive(Clone, Debug)]
pub struct Chain {
    chain_vkey: [u32; 8],
    ledger: Ledger,
    last: Option<Link>,
}

impl Chain {
    /// A chain of the program whose key digest is `chain_vkey`, before its genesis step.
    pub fn new(chain_vkey: [u32; 8]) -> Self {
        Self {
            chain_vkey,
            ledger: Ledger::genesis(),
            last: None,
        }
    }

    /// The ledger after the last step.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The last step's link, `None` before the genesis step.
    pub fn last(&self) -> Option<&Link> {
        self.last.as_ref()
    }

    /// The input of the next step, which applies `batch`, and the link it commits; the chain
    /// advances. A refused batch leaves it as it was. The previous step's key and proof go
    /// after the input item unless this is the genesis step.
    pub fn next(&mut self, batch: Vec<Transaction>) -> Result<(StepInput, Link), Refused> {
        let mut ledger = self.ledger.clone();
        let proofs = ledger.apply(&batch)?;
        let input = StepInput {
            chain_vkey: self.chain_vkey,
            continues: self.last.is_some(),
            batch,
            proofs,
        };
        let previous = self.last.map(|link| Statement {
            vkey_digest: self.chain_vkey,
            exit_code: 0,
            public_output: codec::to_bytes(&link).expect("a link encodes"),
        });
        let link = step(&input, previous.as_ref()).map_err(|error| Refused {
            error,
            proofs: input.proofs.clone(),
        })?;
        self.ledger = ledger;
        self.last = Some(link);
        Ok((input, link))
    }
}
