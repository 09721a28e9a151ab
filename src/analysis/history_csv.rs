//! The loss history as CSV: what `vae train --history` writes, and what the page reads to
//! draw the pretrained model's own training (shipped beside its weights).

use thiserror::Error;

use crate::analysis::train::HistoryRow;

pub const HEADER: &str =
    "step,epoch,images_seen,kl,recon,neg_elbo,loss,beta,learning_rate,wall_seconds";

#[derive(Debug, Error, PartialEq)]
pub enum HistoryCsvError {
    #[error("not a loss history: the first line is not `{HEADER}`")]
    Header,
    #[error("line {line}: {why}")]
    Row { line: usize, why: String },
}

pub fn to_csv(rows: &[HistoryRow]) -> String {
    let mut csv = format!("{HEADER}\n");
    for r in rows {
        csv += &format!(
            "{},{:.4},{},{:.4},{:.4},{:.4},{:.4},{},{},{:.3}\n",
            r.step,
            r.epoch,
            r.images_seen,
            r.kl,
            r.recon,
            r.neg_elbo,
            r.loss,
            r.beta,
            r.learning_rate,
            r.wall_seconds
        );
    }
    csv
}

/// Rows in step order, every number finite; anything else is refused with the line.
pub fn from_csv(text: &str) -> Result<Vec<HistoryRow>, HistoryCsvError> {
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(HEADER) {
        return Err(HistoryCsvError::Header);
    }
    let mut rows: Vec<HistoryRow> = Vec::new();
    for (i, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let row = parse_row(line).map_err(|why| HistoryCsvError::Row { line: i + 2, why })?;
        if rows.last().is_some_and(|last| last.step >= row.step) {
            return Err(HistoryCsvError::Row {
                line: i + 2,
                why: "steps must increase".into(),
            });
        }
        rows.push(row);
    }
    Ok(rows)
}

fn parse_row(line: &str) -> Result<HistoryRow, String> {
    let cells: Vec<&str> = line.split(',').map(str::trim).collect();
    if cells.len() != HEADER.split(',').count() {
        return Err(format!(
            "{} fields, not {}",
            cells.len(),
            HEADER.split(',').count()
        ));
    }
    let int = |i: usize| {
        cells[i]
            .parse::<u64>()
            .map_err(|_| format!("`{}` is not a count", cells[i]))
    };
    let num = |i: usize| match cells[i].parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("`{}` is not a finite number", cells[i])),
    };
    Ok(HistoryRow {
        step: int(0)? as usize,
        epoch: num(1)?,
        images_seen: int(2)?,
        kl: num(3)?,
        recon: num(4)?,
        neg_elbo: num(5)?,
        loss: num(6)?,
        beta: num(7)?,
        learning_rate: num(8)?,
        wall_seconds: num(9)?,
    })
}
