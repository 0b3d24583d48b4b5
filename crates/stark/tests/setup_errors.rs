//! `setup` refuses tables the protocol cannot prove soundly, with a message naming the table.

use droste_stark::{setup, BusBuilder, FriParameters, ProverTable, SetupError, Table, Val};
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

/// A configurable table: each flag turns on one unsupported feature.
#[derive(Default)]
struct Odd {
    width: usize,
    public_values: usize,
    selector_in_interaction: bool,
    wrong_preprocessed_width: bool,
    degree: usize,
    tuple_len: usize,
}

impl BaseAir<Val> for Odd {
    fn width(&self) -> usize {
        self.width
    }
    fn num_public_values(&self) -> usize {
        self.public_values
    }
    fn preprocessed_width(&self) -> usize {
        usize::from(self.wrong_preprocessed_width)
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        self.wrong_preprocessed_width
            .then(|| RowMajorMatrix::new(vec![Val::ZERO; 8], 2))
    }
}

impl<AB: BusBuilder> Air<AB> for Odd {
    fn eval(&self, builder: &mut AB) {
        if self.width > 0 {
            let x = builder.main().current_slice()[0];
            if self.selector_in_interaction {
                let first = builder.is_first_row();
                builder.send(1, [x], first);
            }
            if self.tuple_len > 0 {
                builder.send(1, vec![x; self.tuple_len], AB::Expr::ONE);
            }
        }
        if self.degree > 0 {
            let x = builder.main().current_slice()[0];
            let mut power: AB::Expr = x.into();
            for _ in 1..self.degree {
                power *= x.into();
            }
            builder.assert_zero(power);
        }
    }
}

impl Table for Odd {
    fn name(&self) -> &str {
        "odd"
    }
}

fn params() -> FriParameters {
    FriParameters {
        log_blowup: 1,
        ..FriParameters::fast_preset()
    }
}

fn setup_error(table: Odd) -> String {
    let tables: [&dyn ProverTable; 1] = [&table];
    match setup(&tables, params()) {
        Err(e @ SetupError::Table { .. }) => e.to_string(),
        other => panic!("expected a table error, got {other:?}"),
    }
}

#[test]
fn unsupported_tables_are_refused_with_a_reason() {
    let base = || Odd {
        width: 1,
        ..Odd::default()
    };
    assert!(setup_error(Odd { width: 0, ..base() }).contains("at least one main column"));
    assert!(setup_error(Odd {
        public_values: 1,
        ..base()
    })
    .contains("public values"));
    assert!(setup_error(Odd {
        selector_in_interaction: true,
        ..base()
    })
    .contains("selector"));
    assert!(setup_error(Odd {
        wrong_preprocessed_width: true,
        ..base()
    })
    .contains("preprocessed"));
    // The LogUp error grows with the longest tuple: more than 32 elements is refused.
    assert!(setup_error(Odd {
        tuple_len: droste_stark::logup::MAX_TUPLE_LEN + 1,
        ..base()
    })
    .contains("longer than 32"));
    let tables: [&dyn ProverTable; 1] = [&Odd {
        tuple_len: droste_stark::logup::MAX_TUPLE_LEN,
        ..base()
    }];
    assert!(setup(&tables, params()).is_ok());
    // Degree 4 needs 4 quotient chunks, more than a blowup of 2 allows.
    assert!(setup_error(Odd {
        degree: 4,
        ..base()
    })
    .contains("blowup"));
    let ok = Odd {
        degree: 3,
        ..base()
    };
    let tables: [&dyn ProverTable; 1] = [&ok];
    let (_, vk) = setup(&tables, params()).unwrap();
    assert_eq!(vk.tables[0].constraint_degree, 3);
    assert_eq!(vk.tables[0].log_quotient_chunks, 1);
}

#[test]
fn invalid_fri_parameters_are_refused() {
    let table = Odd {
        width: 1,
        ..Odd::default()
    };
    let tables: [&dyn ProverTable; 1] = [&table];
    let bad = FriParameters {
        num_queries: 0,
        ..params()
    };
    assert!(matches!(
        setup(&tables, bad),
        Err(SetupError::Parameters(_))
    ));
}
