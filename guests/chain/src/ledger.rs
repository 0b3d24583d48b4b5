//! Accounts, transactions and their rules, written once for the guest and the host.
//!
//! [`Transaction::apply`] is the only place the rules live. It reads and writes balances through
//! [`Accounts`], which a step implements over its root and the account proofs it was given
//! ([`Witnessed`]: each proof is checked against the current root, the root then follows the
//! change), and the host's [`Ledger`] implements over its full state, recording the proofs a step
//! will need as it goes. So the host cannot prepare a batch the step would judge differently.

use std::collections::BTreeMap;

use droste_pcs::hash::Hasher;
use droste_pcs::{Digest, Val};
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

use crate::merkle::{self, AccountProof, Tree};
use crate::StepError;

/// Accounts `0..GENESIS_ACCOUNTS` exist at genesis, each holding [`GENESIS_BALANCE`]; no other
/// account does.
pub const GENESIS_ACCOUNTS: u32 = 4;

/// The balance of each genesis account.
pub const GENESIS_BALANCE: u64 = 1_000_000;

/// A change to the accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transaction {
    /// Creates `account`, with balance 0. It must not exist.
    Open {
        /// The new account.
        account: u32,
    },
    /// Moves `amount` from `from` to `to`. Both must exist and `from` must hold `amount`.
    Transfer {
        /// The account debited.
        from: u32,
        /// The account credited (may be `from`).
        to: u32,
        /// How much.
        amount: u64,
    },
}

/// Why a transaction was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// A transfer names an account that does not exist.
    #[error("unknown account {0}")]
    UnknownAccount(u32),
    /// An account is opened twice.
    #[error("account {0} already exists")]
    AccountExists(u32),
    /// A transfer takes more than the account holds.
    #[error("overdraft: account {account} holds {balance}, cannot send {amount}")]
    Overdraft {
        /// The account debited.
        account: u32,
        /// What it holds.
        balance: u64,
        /// What the transfer takes.
        amount: u64,
    },
    /// A transfer would take a balance past `u64::MAX`.
    #[error("account {0}'s balance would overflow")]
    Overflow(u32),
    /// The step's witness has no proof left for an account the transaction touches.
    #[error("no account proof for account {0}")]
    MissingProof(u32),
    /// The proof given for an account does not lead to the current root: the claimed balance
    /// (or absence) is not the account's.
    #[error("the account proof of account {0} does not match the state root")]
    WrongProof(u32),
}

/// Balances as a transaction sees them.
pub trait Accounts {
    /// Replaces `account`'s balance (`None`: no such account) by what `change` makes of it.
    fn update(
        &mut self,
        account: u32,
        change: impl FnOnce(Option<u64>) -> Result<Option<u64>, TxError>,
    ) -> Result<(), TxError>;
}

impl Transaction {
    /// Applies the transaction to `accounts`, or says which rule it breaks.
    pub fn apply(&self, accounts: &mut impl Accounts) -> Result<(), TxError> {
        match *self {
            Transaction::Open { account } => accounts.update(account, |balance| match balance {
                None => Ok(Some(0)),
                Some(_) => Err(TxError::AccountExists(account)),
            }),
            Transaction::Transfer { from, to, amount } => {
                accounts.update(from, |balance| {
                    let balance = balance.ok_or(TxError::UnknownAccount(from))?;
                    let rest = balance.checked_sub(amount).ok_or(TxError::Overdraft {
                        account: from,
                        balance,
                        amount,
                    })?;
                    Ok(Some(rest))
                })?;
                accounts.update(to, |balance| {
                    let balance = balance.ok_or(TxError::UnknownAccount(to))?;
                    Ok(Some(
                        balance.checked_add(amount).ok_or(TxError::Overflow(to))?,
                    ))
                })
            }
        }
    }

    /// The transaction as field elements, 13 for every transaction (a kind tag, then two
    /// account ids and an amount in 16-bit limbs, zeros where a kind has none), so that a batch
    /// of them is read back unambiguously.
    fn elements(&self) -> [Val; 13] {
        let (kind, first, second, amount) = match *self {
            Transaction::Open { account } => (0, account, 0, 0),
            Transaction::Transfer { from, to, amount } => (1, from, to, amount),
        };
        let mut elements = [Val::from_u16(kind); 13];
        elements[1..5].copy_from_slice(&merkle::limbs(first.into()));
        elements[5..9].copy_from_slice(&merkle::limbs(second.into()));
        elements[9..].copy_from_slice(&merkle::limbs(amount));
        elements
    }
}

/// The digest of a batch, which the history chains: the sponge of its length (as limbs) and
/// its transactions' elements. The sponge is padding-free, which is unambiguous only for inputs
/// of a length known in advance: the length prefix fixes it.
pub fn batch_digest(hasher: &Hasher, batch: &[Transaction]) -> Digest {
    let mut elements = Vec::with_capacity(4 + 13 * batch.len());
    elements.extend(merkle::limbs(batch.len() as u64));
    for transaction in batch {
        elements.extend(transaction.elements());
    }
    hasher.hash_slice(&elements)
}

/// The accounts as a step holds them: a root, and the proofs it was given for the accounts the
/// batch touches, used in order.
pub(crate) struct Witnessed<'a> {
    hasher: &'a Hasher,
    root: Digest,
    proofs: core::slice::Iter<'a, AccountProof>,
}

impl<'a> Witnessed<'a> {
    pub(crate) fn new(hasher: &'a Hasher, root: Digest, proofs: &'a [AccountProof]) -> Self {
        Self {
            hasher,
            root,
            proofs: proofs.iter(),
        }
    }

    /// Applies `batch`; the root after it, or the first transaction refused (with its index).
    /// Every proof must be used.
    pub(crate) fn apply(mut self, batch: &[Transaction]) -> Result<Digest, StepError> {
        for (index, transaction) in batch.iter().enumerate() {
            transaction
                .apply(&mut self)
                .map_err(|error| StepError::Transaction { index, error })?;
        }
        match self.proofs.len() {
            0 => Ok(self.root),
            unused => Err(StepError::UnusedProofs(unused)),
        }
    }
}

impl Accounts for Witnessed<'_> {
    fn update(
        &mut self,
        account: u32,
        change: impl FnOnce(Option<u64>) -> Result<Option<u64>, TxError>,
    ) -> Result<(), TxError> {
        let proof = self.proofs.next().ok_or(TxError::MissingProof(account))?;
        let leaf = merkle::leaf(self.hasher, proof.balance);
        if proof.root(self.hasher, account, leaf) != self.root {
            return Err(TxError::WrongProof(account));
        }
        let leaf = merkle::leaf(self.hasher, change(proof.balance)?);
        self.root = proof.root(self.hasher, account, leaf);
        Ok(())
    }
}

/// The whole state, as the host keeps it: balances and their tree.
#[derive(Clone, Debug)]
pub struct Ledger {
    balances: BTreeMap<u32, u64>,
    tree: Tree,
}

/// A batch the ledger refused: the rule broken, and the account proofs up to and including the
/// refused transaction's, with which a step refuses it too.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct Refused {
    /// What was refused.
    pub error: StepError,
    /// The proofs a step reads before it meets the refused transaction.
    pub proofs: Vec<AccountProof>,
}

impl Ledger {
    /// The genesis state: [`GENESIS_ACCOUNTS`] accounts holding [`GENESIS_BALANCE`] each.
    pub fn genesis() -> Self {
        let mut ledger = Self {
            balances: BTreeMap::new(),
            tree: Tree::new(),
        };
        for account in 0..GENESIS_ACCOUNTS {
            ledger.set(account, Some(GENESIS_BALANCE));
        }
        ledger
    }

    /// The state root.
    pub fn root(&self) -> Digest {
        self.tree.root()
    }

    /// `account`'s balance, `None` if it does not exist.
    pub fn balance(&self, account: u32) -> Option<u64> {
        self.balances.get(&account).copied()
    }

    fn set(&mut self, account: u32, balance: Option<u64>) {
        match balance {
            Some(balance) => self.balances.insert(account, balance),
            None => self.balances.remove(&account),
        };
        self.tree.set(account, balance);
    }

    /// Applies `batch` and returns the account proofs a step needs to apply it to this ledger's
    /// root. A refused batch leaves the ledger as it was.
    pub fn apply(&mut self, batch: &[Transaction]) -> Result<Vec<AccountProof>, Refused> {
        let mut recording = Recording {
            ledger: self.clone(),
            proofs: Vec::new(),
        };
        for (index, transaction) in batch.iter().enumerate() {
            if let Err(error) = transaction.apply(&mut recording) {
                return Err(Refused {
                    error: StepError::Transaction { index, error },
                    proofs: recording.proofs,
                });
            }
        }
        *self = recording.ledger;
        Ok(recording.proofs)
    }
}

/// A ledger that records the proof of every account read, before the change.
struct Recording {
    ledger: Ledger,
    proofs: Vec<AccountProof>,
}

impl Accounts for Recording {
    fn update(
        &mut self,
        account: u32,
        change: impl FnOnce(Option<u64>) -> Result<Option<u64>, TxError>,
    ) -> Result<(), TxError> {
        let balance = self.ledger.balance(account);
        self.proofs.push(self.ledger.tree.proof(account, balance));
        let balance = change(balance)?;
        self.ledger.set(account, balance);
        Ok(())
    }
}
