//! What proving a run costs: every table's rows, height and cells, and the rows each function
//! and step-marker phase adds to each table, from the executor's profile (no execution record,
//! so runs far longer than one proof can be profiled).
//!
//! Proving time follows the tables, not the cycles: each instruction family has a chip of its
//! own, syscall buffers and precompile calls have tables of their own, memory is paid per
//! doubleword touched, every table is padded to a power of two, and the tallest one sets the
//! largest LDE domain. The rows come from [`RowRules`], the rules the record-based heights use,
//! so the profile's totals are the heights `droste prove` will find (tests check it).

use std::fmt::{self, Write};

use droste_executor::{phase_name, Activity, DwordSet, Profile};
use droste_stark::EXT_DEGREE;

use crate::prover::heights::RowRules;
use crate::prover::{max_table_height, ProvingKey, MAX_CYCLES};

/// Lines shown per bucket section by `Display`.
const DISPLAY_ROWS: usize = 30;
/// Tables named per function or phase in the text report.
const TOP_TABLES: usize = 3;

/// One table of a proof of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCost {
    pub name: String,
    /// Real rows (a fixed table's are its height).
    pub rows: usize,
    /// Rows after padding to a power of two; 0 for a table left out of the proof.
    pub height: usize,
    /// The key fixes the height (program ROM, memory image, registers, lookup tables).
    pub fixed: bool,
    /// Main trace columns.
    pub main_columns: usize,
    /// LogUp trace columns, in base-field columns (4 per extension column).
    pub logup_columns: usize,
}

impl TableCost {
    /// Columns extended and committed per row in a proof (main and LogUp; preprocessed columns
    /// are committed once, at setup).
    pub fn width(&self) -> usize {
        self.main_columns + self.logup_columns
    }

    /// Cells extended and committed: height times width.
    pub fn cells(&self) -> usize {
        self.height * self.width()
    }
}

/// What one function or step-marker phase adds to the proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketCost {
    pub cycles: u64,
    /// Rows added to each table (in proving order), before padding.
    pub rows: Vec<usize>,
    /// The rows' cells: rows times each table's width.
    pub cells: usize,
}

/// A run's proving cost: the profile, its tables, and the rows of each function and phase.
#[derive(Clone, Debug)]
pub struct ProvingCost {
    /// The executor's profile the cost was derived from.
    pub profile: Profile,
    /// Every table, in proving order.
    pub tables: Vec<TableCost>,
    /// log2 of the blowup of the key's options: the LDE domain is the height times `2^log_blowup`.
    pub log_blowup: u8,
    /// Rows no function or phase adds: the fixed tables' and the dynamic memory table's two
    /// input-header rows.
    pub run_rows: Vec<usize>,
    /// Per function (innermost ELF symbol), most cells first.
    pub functions: Vec<(String, BucketCost)>,
    /// Per step-marker phase (`None`: before the first marker), by marker value.
    pub markers: Vec<(Option<i64>, BucketCost)>,
}

impl ProvingCost {
    /// The cost of the profiled run of `pk`'s program.
    pub fn new(pk: &ProvingKey, profile: Profile) -> Self {
        let rules = RowRules::new(pk);
        let widths: Vec<(usize, usize)> = pk
            .vk
            .stark
            .tables
            .iter()
            .map(|t| (t.main_width as usize, EXT_DEGREE * t.aux_columns()))
            .collect();
        let cells = |rows: &[usize]| -> usize {
            rows.iter()
                .zip(&widths)
                .map(|(r, (m, l))| r * (m + l))
                .sum()
        };
        // Each pass starts from the run's own rows, so the input header's doublewords are not
        // counted again when a function or phase touches them.
        let bucket = |touched: &mut DwordSet, cycles: u64, activity: &Activity| {
            let rows = activity_rows(&rules, touched, activity);
            BucketCost {
                cycles,
                cells: cells(&rows),
                rows,
            }
        };
        let (run_rows, mut touched) = rules.run_rows();
        let mut functions: Vec<(String, BucketCost)> = profile
            .functions
            .iter()
            .map(|f| (f.name.clone(), bucket(&mut touched, f.cycles, &f.activity)))
            .collect();
        functions.sort_by(|a, b| b.1.cells.cmp(&a.1.cells).then_with(|| a.0.cmp(&b.0)));
        let (_, mut touched) = rules.run_rows();
        let markers: Vec<(Option<i64>, BucketCost)> = profile
            .markers
            .iter()
            .map(|m| (m.marker, bucket(&mut touched, m.cycles, &m.activity)))
            .collect();

        let mut rows = run_rows.clone();
        for (_, f) in &functions {
            rows.iter_mut().zip(&f.rows).for_each(|(r, f)| *r += f);
        }
        rules.split(&mut rows);
        let heights = rules.heights(&rows);
        let names = pk.tables.all();
        let tables = (0..rules.tables())
            .map(|t| TableCost {
                name: names[t].name().to_string(),
                rows: rows[t],
                height: heights[t],
                fixed: rules.is_fixed(t),
                main_columns: widths[t].0,
                logup_columns: widths[t].1,
            })
            .collect();
        Self {
            profile,
            tables,
            log_blowup: pk.vk.stark.fri.log_blowup,
            run_rows,
            functions,
            markers,
        }
    }

    /// Cells of all tables.
    pub fn cells(&self) -> usize {
        self.tables.iter().map(TableCost::cells).sum()
    }

    /// Cells of the rows no function or phase adds ([`Self::run_rows`]). With the buckets' cells
    /// and the padding they make up [`Self::cells`].
    pub fn run_cells(&self) -> usize {
        self.run_rows
            .iter()
            .zip(&self.tables)
            .map(|(r, t)| r * t.width())
            .sum()
    }

    /// What the function called `name` adds.
    pub fn function(&self, name: &str) -> Option<&BucketCost> {
        self.functions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b)
    }

    /// What the phase of step marker `marker` adds (`None`: before the first marker).
    pub fn phase(&self, marker: Option<i64>) -> Option<&BucketCost> {
        self.markers
            .iter()
            .find(|(m, _)| *m == marker)
            .map(|(_, b)| b)
    }

    /// The tables of the largest height, which sets the largest LDE domain.
    pub fn tallest(&self) -> Vec<&TableCost> {
        let height = self.tables.iter().map(|t| t.height).max().unwrap_or(0);
        self.tables.iter().filter(|t| t.height == height).collect()
    }

    /// The tallest table the run grows, not a fixed one (most real rows among equals, the one
    /// nearest to doubling): the table to shrink, and the one the report shows per function.
    pub fn tallest_growing(&self) -> Option<usize> {
        (0..self.tables.len())
            .filter(|&t| !self.tables[t].fixed)
            .max_by_key(|&t| (self.tables[t].height, self.tables[t].rows))
    }

    /// The text report: the tables, then functions (top `rows` by cells) and phases with
    /// cycles, cells and rows, then the profile's opcodes and precompile calls.
    pub fn report(&self, rows: usize) -> String {
        let mut out = format!("total cycles: {}\n", self.profile.total_cycles);
        self.table_section(&mut out);
        let growing = self.tallest_growing();
        self.bucket_section(
            &mut out,
            "by function (innermost ELF symbol), most cells first",
            "function",
            self.functions.iter().map(|(n, b)| (n.clone(), b)).collect(),
            rows,
            growing,
        );
        self.bucket_section(
            &mut out,
            "by step marker (latest `addi x0, x0, N` executed)",
            "phase",
            self.markers
                .iter()
                .map(|(m, b)| (phase_name(*m), b))
                .collect(),
            usize::MAX,
            growing,
        );
        out.push_str(&self.profile.opcode_report(rows));
        out.push_str(&self.profile.precompile_report(rows));
        out
    }

    fn table_section(&self, out: &mut String) {
        let total = self.cells();
        let _ = writeln!(
            out,
            "\nproving cost by table (rows: real rows; height: padded to a power of two, 0 = left \
             out;\ncells = height x (main + LogUp columns), LogUp in base-field columns):"
        );
        let _ = writeln!(
            out,
            "{:>12}  {:>10}  {:>4}  {:>5}  {:>14}  {:>6}  table",
            "rows", "height", "main", "LogUp", "cells", "%"
        );
        for t in &self.tables {
            let _ = writeln!(
                out,
                "{:>12}  {:>10}  {:>4}  {:>5}  {:>14}  {:>5.1}%  {}{}",
                t.rows,
                t.height,
                t.main_columns,
                t.logup_columns,
                t.cells(),
                percent(t.cells(), total),
                t.name,
                if t.fixed { " (fixed)" } else { "" }
            );
        }
        let _ = writeln!(out, "{:>54}  100.0%  total", total);
        let tallest = self.tallest();
        let height = tallest.first().map_or(0, |t| t.height);
        let names: Vec<&str> = tallest.iter().map(|t| t.name.as_str()).collect();
        let log = height.trailing_zeros();
        let _ = writeln!(
            out,
            "tallest: {} (2^{log} rows), which sets the largest LDE domain: 2^{} points at \
             log_blowup {}",
            names.join(", "),
            log + u32::from(self.log_blowup),
            self.log_blowup
        );
        let limit = max_table_height(self.log_blowup);
        let cycles = self.profile.total_cycles;
        if height > limit || cycles > MAX_CYCLES {
            let _ = writeln!(
                out,
                "this run does not fit one proof, which holds 2^{} rows per table at log_blowup {} \
                 and 2^{} cycles",
                limit.trailing_zeros(),
                self.log_blowup,
                MAX_CYCLES.trailing_zeros()
            );
        }
    }

    /// One section of buckets (`rows` lines at most, the rest summed), then the rows of the run
    /// and the padding, so that the cells add up to the tables' total.
    fn bucket_section(
        &self,
        out: &mut String,
        title: &str,
        label: &str,
        buckets: Vec<(String, &BucketCost)>,
        rows: usize,
        growing: Option<usize>,
    ) {
        let total_cells = self.cells();
        let total_cycles = self.profile.total_cycles;
        let growing_name = growing.map_or("-", |t| self.tables[t].name.as_str());
        let _ = writeln!(
            out,
            "\n{title}: cycles; cells of the rows it adds (before padding);\nthe rows it adds to \
             {growing_name}, the tallest table the run grows; its tables with the most cells:"
        );
        let _ = writeln!(
            out,
            "{:>14}  {:>6}  {:>14}  {:>6}  {:>12}  {label}",
            "cycles",
            "%",
            "cells",
            "%",
            format!("{growing_name} rows")
        );
        for (name, b) in buckets.iter().take(rows) {
            let tallest_rows = growing.map_or(0, |t| b.rows[t]);
            let _ = writeln!(
                out,
                "{:>14}  {:>5.1}%  {:>14}  {:>5.1}%  {tallest_rows:>12}  {name}  {}",
                b.cycles,
                percent(b.cycles as usize, total_cycles as usize),
                b.cells,
                percent(b.cells, total_cells),
                self.top_tables(&b.rows)
            );
        }
        let hidden = buckets.len().saturating_sub(rows);
        let mut line = |cells: usize, what: String| {
            let _ = writeln!(
                out,
                "{:>14}  {:>6}  {cells:>14}  {:>5.1}%  {:>12}  {what}",
                "",
                "",
                percent(cells, total_cells),
                ""
            );
        };
        if hidden > 0 {
            let rest: usize = buckets.iter().skip(rows).map(|(_, b)| b.cells).sum();
            line(rest, format!("({hidden} more)"));
        }
        let run = self.run_cells();
        line(run, "(fixed tables and the input header: every run)".into());
        let attributed: usize = buckets.iter().map(|(_, b)| b.cells).sum();
        line(
            total_cells.saturating_sub(run + attributed),
            "(padding to powers of two)".into(),
        );
    }

    /// The tables with the most cells in `rows`, as `name rows`.
    fn top_tables(&self, rows: &[usize]) -> String {
        let mut tables: Vec<usize> = (0..rows.len()).filter(|&t| rows[t] > 0).collect();
        tables.sort_by_key(|&t| std::cmp::Reverse(rows[t] * self.tables[t].width()));
        let top: Vec<String> = tables
            .iter()
            .take(TOP_TABLES)
            .map(|&t| format!("{} {}", self.tables[t].name, rows[t]))
            .collect();
        format!("[{}]", top.join(", "))
    }
}

impl fmt::Display for ProvingCost {
    /// The report with the top rows of each section.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report(DISPLAY_ROWS))
    }
}

/// The rows `activity` adds to each table. `touched` holds the doublewords already counted.
fn activity_rows(rules: &RowRules, touched: &mut DwordSet, activity: &Activity) -> Vec<usize> {
    let mut rows = vec![0; rules.tables()];
    for &(op, count) in &activity.opcodes {
        rules.add_instructions(&mut rows, op, count as usize);
    }
    for call in &activity.syscalls {
        rules.add_syscall(&mut rows, call.number, call.args);
    }
    for &dword in &activity.new_dwords {
        rules.add_dword(&mut rows, touched, u64::from(dword));
    }
    rows
}

fn percent(part: usize, total: usize) -> f64 {
    100.0 * part as f64 / total.max(1) as f64
}
