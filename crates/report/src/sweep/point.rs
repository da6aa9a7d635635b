//! One design point's rows of summary.csv and outcomes.csv, from its replicates' outcomes.
//!
//! A sweep summarises each point the moment its last replicate arrives, from the values
//! themselves: means and standard deviations two-pass in replicate order, nearest-rank
//! quantiles from the sorted values, Wilson intervals for shares (all from `stats`). Pure
//! functions of their input, so a resumed sweep, which reads the unfinished point's rows back
//! from disk, writes the same bytes.

use sidelines_experiment::QUANTILES;
use sidelines_experiment::stats::{self, wilson};
use sidelines_model::{OutcomeKind, Value};

use crate::format_optional as opt;

/// Rows of summary.csv (numeric outcomes) and outcomes.csv (categories and flags) for one
/// point, without the keys that the writer puts before them.
pub fn point_rows(
    names: &[String],
    kinds: &[OutcomeKind],
    replicates: &[Vec<Value>],
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let (mut summary, mut shares) = (Vec::new(), Vec::new());
    for (i, (name, kind)) in names.iter().zip(kinds).enumerate() {
        match kind {
            OutcomeKind::Category(labels) => {
                let n = replicates.len() as u64;
                for label in *labels {
                    let count = replicates
                        .iter()
                        .filter(|row| match &row[i] {
                            Value::Text(t) => t == label,
                            Value::Flag(b) => {
                                *label == sidelines_model::FLAG_VALUES[usize::from(*b)]
                            }
                            _ => false,
                        })
                        .count() as u64;
                    let (share, lo, hi) = wilson(count, n);
                    shares.push(vec![
                        name.clone(),
                        label.to_string(),
                        count.to_string(),
                        opt(share),
                        opt(lo),
                        opt(hi),
                    ]);
                }
            }
            OutcomeKind::Unit | OutcomeKind::Day => {
                let mut xs: Vec<f64> =
                    replicates.iter().filter_map(|row| row[i].as_number()).collect();
                let n = xs.len();
                let mut rec = vec![name.clone(), n.to_string()];
                if n == 0 {
                    rec.extend(std::iter::repeat_n(String::new(), 4 + QUANTILES.len()));
                } else {
                    let mean = stats::mean(&xs);
                    // One value has no spread to speak of; the table says 0, not blank.
                    let sd = if n > 1 { stats::sample_sd(&xs) } else { 0.0 };
                    let half = stats::half_width(sd, n as u64);
                    xs.sort_by(f64::total_cmp);
                    rec.extend([mean, sd, mean - half, mean + half].map(opt));
                    rec.extend(QUANTILES.iter().map(|q| opt(stats::quantile_sorted(&xs, *q))));
                }
                summary.push(rec);
            }
        }
    }
    (summary, shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_category_rows() {
        let names = [String::from("talks"), String::from("trust"), String::from("day")];
        let kinds =
            [OutcomeKind::Category(&["ongoing", "settled"]), OutcomeKind::Unit, OutcomeKind::Day];
        let reps: Vec<Vec<Value>> = [("ongoing", 0.25, Some(3)), ("settled", 0.75, None)]
            .iter()
            .map(|(t, x, d)| {
                vec![Value::Text(t), Value::Number(*x), d.map_or(Value::Missing, Value::Day)]
            })
            .collect();
        let (summary, shares) = point_rows(&names, &kinds, &reps);
        assert_eq!(shares.len(), 2);
        assert_eq!(shares[0][..3], ["talks", "ongoing", "1"]);
        assert_eq!(shares[0][3], "0.5");
        // trust: mean 0.5, sd √0.125, nearest-rank quantiles 0.25 (p05..p50) and 0.75 (p75, p95).
        let t = &summary[0];
        assert_eq!(t[..3], ["trust", "2", "0.5"]);
        assert_eq!(t[3], opt(0.125f64.sqrt()));
        assert_eq!(t[6..], ["0.25", "0.25", "0.25", "0.75", "0.75"]);
        // day: one value, so sd 0 and every quantile that value.
        let d = &summary[1];
        assert_eq!(d[..4], ["day", "1", "3.0", "0.0"]);
        assert!(d[6..].iter().all(|q| q == "3.0"));
    }

    #[test]
    fn no_values_leave_the_statistics_blank() {
        let (summary, _) =
            point_rows(&[String::from("day")], &[OutcomeKind::Day], &[vec![Value::Missing]]);
        assert_eq!(summary[0][1], "0");
        assert!(summary[0][2..].iter().all(String::is_empty));
        assert_eq!(summary[0].len(), crate::SUMMARY_HEADER.len());
    }
}
