//! The order in which [`crate::Prover::prove_continued`] aggregates: which nodes go into each
//! proof of the recursion guest, decided as the shard proofs arrive.
//!
//! Level 1 aggregates up to [`SHARDS_PER_AGGREGATION`] consecutive shard proofs, higher levels
//! pairs. Why four at the bottom: every aggregation above the first level re-verifies proofs
//! of the recursion guest, and the fewer nodes level 1 leaves, the fewer such aggregations
//! there are: eight shards make two level-1 nodes and three aggregations, against three nodes
//! and five aggregations in threes and four nodes and seven in pairs (a 2^27-cycle run's
//! aggregations took 1,095.4 s in pairs, 838.0 s in threes and 634.5 s in fours,
//! BENCHMARKS.md). Four shard proofs of the largest shards (2^24 cycles, default preset) verify
//! in 15.2-15.9M cycles, 5-9% inside one proof's 2^24 (`aggregation_bench -- --shards 4`; the
//! most for a group holding both the first and the last shard, whose proofs open more tables);
//! five would not fit. Above level 1 a node is an aggregate, and aggregates go in pairs.
//!
//! Shard proofs with many tables cost more to verify (every table's constraints are evaluated
//! at the out-of-domain point): when a group is more than one proof of the recursion guest
//! holds, its first shards are aggregated as one group shorter, the others wait, and the run
//! goes on in the shorter groups (down to pairs). Finding out costs a run of the guest, not a
//! proof: the limit is met while executing.
//!
//! Aggregation is eager: a group of shards as soon as it is complete, two nodes of one level as
//! soon as both exist (a binary counter above level 1), and what is left when the run ends from
//! the right: the trailing shards together when there are two or more, else the last two nodes
//! (a lone shard with the aggregate before it). Only one node per level is kept (O(log n)
//! proofs for n shards), and an aggregation that fails does so after the first group of shards.

/// The most shard proofs one aggregation takes.
pub const SHARDS_PER_AGGREGATION: usize = 4;

/// Where an aggregation stands in the tree: its level (1 for one of shards only, one above its
/// highest node otherwise) and the shards it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    pub level: usize,
    pub first: usize,
    pub last: usize,
}

/// Proves the aggregate of consecutive nodes standing at a span.
pub(super) type ProveAggregate<'a, N, E> = dyn FnMut(Span, &[&N]) -> Result<N, E> + 'a;

/// Proves one aggregation of the given consecutive nodes, and says which of its errors mean
/// that they are more than one proof of the recursion guest holds.
pub(super) struct Aggregator<'a, N, E> {
    pub prove: &'a mut ProveAggregate<'a, N, E>,
    pub too_long: fn(&E) -> bool,
}

/// A node with where it stands (level 0: a shard).
struct Subtree<N> {
    span: Span,
    node: N,
}

/// The nodes not yet aggregated, left to right (levels strictly decreasing but for the trailing
/// shards).
pub(super) struct Tree<N> {
    subtrees: Vec<Subtree<N>>,
    /// How many shards a level-1 aggregation takes: [`SHARDS_PER_AGGREGATION`], fewer once a
    /// group was too long.
    group: usize,
}

impl<N> Default for Tree<N> {
    fn default() -> Self {
        Self {
            subtrees: Vec::new(),
            group: SHARDS_PER_AGGREGATION,
        }
    }
}

impl<N> Tree<N> {
    /// Adds the proof of shard `index` (the next one) and aggregates what is complete.
    pub fn push_shard<E>(
        &mut self,
        index: usize,
        node: N,
        aggregator: &mut Aggregator<'_, N, E>,
    ) -> Result<(), E> {
        let span = Span {
            level: 0,
            first: index,
            last: index,
        };
        self.subtrees.push(Subtree { span, node });
        while self.trailing_shards() >= self.group {
            self.aggregate_shards(self.group, aggregator)?;
        }
        Ok(())
    }

    /// Aggregates the trailing `count` shards, or as many of the first of them as one proof of
    /// the recursion guest holds (two at least): a group found too long makes the groups of the
    /// rest of the run smaller, and the shards it leaves out wait for the next group. Then pairs
    /// up what the new aggregate completes.
    fn aggregate_shards<E>(
        &mut self,
        mut count: usize,
        aggregator: &mut Aggregator<'_, N, E>,
    ) -> Result<(), E> {
        let mut waiting = Vec::new();
        loop {
            match self.aggregate_last(count, aggregator) {
                Err(error) if count > 2 && (aggregator.too_long)(&error) => {
                    count -= 1;
                    self.group = self.group.min(count);
                    waiting.push(self.subtrees.pop().expect("a shard of the group"));
                }
                done => break done?,
            }
        }
        self.pair_up(aggregator)?;
        self.subtrees.extend(waiting.into_iter().rev());
        Ok(())
    }

    /// Aggregates what is left into one aggregate (a run of one shard too): its level and node.
    /// `None` when no shard was pushed.
    pub fn finish<E>(
        mut self,
        aggregator: &mut Aggregator<'_, N, E>,
    ) -> Result<Option<(usize, N)>, E> {
        loop {
            match self.subtrees.as_slice() {
                [] => return Ok(None),
                [only] if only.span.level > 0 => break,
                _ => {}
            }
            let shards = self.trailing_shards();
            if shards >= 2 {
                self.aggregate_shards(shards, aggregator)?;
            } else {
                self.aggregate_last(self.subtrees.len().min(2), aggregator)?;
            }
        }
        let root = self.subtrees.pop().expect("one aggregate");
        Ok(Some((root.span.level, root.node)))
    }

    /// How many shards (level 0) end the list.
    fn trailing_shards(&self) -> usize {
        self.subtrees
            .iter()
            .rev()
            .take_while(|s| s.span.level == 0)
            .count()
    }

    /// Aggregates the last two nodes while they are aggregates of one level.
    fn pair_up<E>(&mut self, aggregator: &mut Aggregator<'_, N, E>) -> Result<(), E> {
        while let [.., left, right] = self.subtrees.as_slice() {
            if left.span.level != right.span.level || left.span.level == 0 {
                break;
            }
            self.aggregate_last(2, aggregator)?;
        }
        Ok(())
    }

    /// Replaces the last `count` nodes by their aggregate; on an error they stay.
    fn aggregate_last<E>(
        &mut self,
        count: usize,
        aggregator: &mut Aggregator<'_, N, E>,
    ) -> Result<(), E> {
        let at = self.subtrees.len() - count;
        let parts = &self.subtrees[at..];
        let span = Span {
            level: 1 + parts.iter().map(|s| s.span.level).max().unwrap_or(0),
            first: parts[0].span.first,
            last: parts[count - 1].span.last,
        };
        let nodes: Vec<&N> = parts.iter().map(|s| &s.node).collect();
        let node = (aggregator.prove)(span, &nodes)?;
        self.subtrees.truncate(at);
        self.subtrees.push(Subtree { span, node });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The aggregations made for `shards` shards, as `first-last@level`, and the root, with
    /// aggregations of more than `fits` shard proofs refused as too long.
    fn order(shards: usize, fits: usize) -> (Vec<String>, Option<(usize, String)>) {
        let mut made = Vec::new();
        let mut prove = |span: Span, nodes: &[&String]| {
            let shards = nodes.iter().filter(|n| n.starts_with('s')).count();
            if shards > fits {
                return Err("too long");
            }
            made.push(format!("{}-{}@{}", span.first, span.last, span.level));
            let inner: Vec<&str> = nodes.iter().map(|n| n.as_str()).collect();
            Ok(format!("({})", inner.join(" ")))
        };
        let mut aggregator = Aggregator {
            prove: &mut prove,
            too_long: |error: &&str| *error == "too long",
        };
        let mut tree = Tree::default();
        for index in 0..shards {
            tree.push_shard(index, format!("s{index}"), &mut aggregator)
                .unwrap();
        }
        let root = tree.finish(&mut aggregator).unwrap();
        (made, root)
    }

    #[test]
    fn shards_go_up_in_fours_then_pairs() {
        assert_eq!(order(0, 4), (vec![], None));
        assert_eq!(
            order(1, 4),
            (vec!["0-0@1".into()], Some((1, "(s0)".into())))
        );
        assert_eq!(order(2, 4).1, Some((1, "(s0 s1)".into())));
        assert_eq!(order(3, 4).1, Some((1, "(s0 s1 s2)".into())));
        assert_eq!(order(4, 4).1, Some((1, "(s0 s1 s2 s3)".into())));
        // A lone shard at the end joins the aggregate before it.
        assert_eq!(
            order(5, 4),
            (
                vec!["0-3@1".into(), "0-4@2".into()],
                Some((2, "((s0 s1 s2 s3) s4)".into()))
            )
        );
        // Two or three shards at the end are aggregated together first.
        assert_eq!(order(6, 4).1, Some((2, "((s0 s1 s2 s3) (s4 s5))".into())));
        assert_eq!(
            order(7, 4).1,
            Some((2, "((s0 s1 s2 s3) (s4 s5 s6))".into()))
        );
        assert_eq!(
            order(8, 4),
            (
                vec!["0-3@1".into(), "4-7@1".into(), "0-7@2".into()],
                Some((2, "((s0 s1 s2 s3) (s4 s5 s6 s7))".into()))
            )
        );
        assert_eq!(
            order(16, 4).1,
            Some((
                3,
                "(((s0 s1 s2 s3) (s4 s5 s6 s7)) ((s8 s9 s10 s11) (s12 s13 s14 s15)))".into()
            ))
        );
    }

    #[test]
    fn four_shards_too_long_for_one_proof_go_on_in_threes() {
        assert_eq!(
            order(4, 3),
            (
                vec!["0-2@1".into(), "0-3@2".into()],
                Some((2, "((s0 s1 s2) s3)".into()))
            )
        );
        assert_eq!(
            order(8, 3),
            (
                vec![
                    "0-2@1".into(),
                    "3-5@1".into(),
                    "0-5@2".into(),
                    "6-7@1".into(),
                    "0-7@3".into()
                ],
                Some((3, "(((s0 s1 s2) (s3 s4 s5)) (s6 s7))".into()))
            )
        );
    }

    #[test]
    fn groups_too_long_for_one_proof_go_on_in_pairs() {
        // Three trailing shards at the end, too long: the first two, then the third.
        assert_eq!(
            order(3, 2),
            (
                vec!["0-1@1".into(), "0-2@2".into()],
                Some((2, "((s0 s1) s2)".into()))
            )
        );
        // Four too long, three too long: two, and the other two of the group at once.
        assert_eq!(
            order(6, 2),
            (
                vec![
                    "0-1@1".into(),
                    "2-3@1".into(),
                    "0-3@2".into(),
                    "4-5@1".into(),
                    "0-5@3".into()
                ],
                Some((3, "(((s0 s1) (s2 s3)) (s4 s5))".into()))
            )
        );
    }

    #[test]
    fn an_error_other_than_too_long_ends_the_run() {
        let mut prove = |_: Span, _: &[&String]| -> Result<String, &'static str> { Err("broken") };
        let mut aggregator = Aggregator {
            prove: &mut prove,
            too_long: |error: &&str| *error == "too long",
        };
        let mut tree = Tree::default();
        for index in 0..SHARDS_PER_AGGREGATION - 1 {
            tree.push_shard(index, format!("s{index}"), &mut aggregator)
                .unwrap();
        }
        let last = SHARDS_PER_AGGREGATION - 1;
        assert_eq!(
            tree.push_shard(last, format!("s{last}"), &mut aggregator),
            Err("broken")
        );
    }
}
