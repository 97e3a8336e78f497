//! Validator CSV files (the columns of the epoch-780 file).

use std::collections::BTreeMap;

use crate::{Location, TopologyError, Validator};

/// Columns a validator CSV must have (in any order; other columns are ignored).
pub(crate) const COLUMNS: [&str; 5] = [
    "identity",
    "active_stake_lamports",
    "latitude",
    "longitude",
    "data_center",
];

/// A parsed validator with the 1-based line of the file it came from.
pub(crate) struct Row {
    pub line: u64,
    pub validator: Validator,
}

fn err(file: &str, row: Option<u64>, column: Option<&str>, message: String) -> TopologyError {
    TopologyError::Csv {
        file: file.to_string(),
        row,
        column: column.map(str::to_string),
        message,
    }
}

/// Parses and checks `text` (see [`crate::parse_validators_csv`]); rows are returned sorted by
/// stake descending, ties by identity.
pub(crate) fn parse_rows(text: &str, file: &str) -> Result<Vec<Row>, TopologyError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| from_csv_error(file, e))?
        .clone();
    let mut index = [0usize; COLUMNS.len()];
    for (slot, name) in index.iter_mut().zip(COLUMNS) {
        let mut found = header.iter().enumerate().filter(|(_, h)| *h == name);
        *slot = match (found.next(), found.next()) {
            (Some((i, _)), None) => i,
            (None, _) => {
                return Err(err(
                    file,
                    Some(1),
                    Some(name),
                    format!(
                        "missing from the header; expected a header naming the columns {}",
                        COLUMNS.join(",")
                    ),
                ))
            }
            (Some(_), Some(_)) => {
                return Err(err(
                    file,
                    Some(1),
                    Some(name),
                    "appears more than once in the header; expected it once".to_string(),
                ))
            }
        };
    }
    let [i_identity, i_stake, i_lat, i_lon, i_dc] = index;

    let mut rows = Vec::new();
    let mut first_line: BTreeMap<String, u64> = BTreeMap::new();
    let mut total: u64 = 0;
    for record in reader.records() {
        let record = record.map_err(|e| from_csv_error(file, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("");
        let bad = |column: &str, message: String| err(file, Some(line), Some(column), message);

        let identity = field(i_identity);
        if identity.is_empty() {
            return Err(bad(
                "identity",
                "expected a validator identity, got \"\"".into(),
            ));
        }
        if let Some(first) = first_line.insert(identity.to_string(), line) {
            return Err(bad(
                "identity",
                format!("duplicate identity {identity:?} (first on row {first}); expected each identity once"),
            ));
        }

        let raw = field(i_stake);
        let stake_lamports: u64 = raw.parse().map_err(|_| {
            bad(
                "active_stake_lamports",
                format!("expected an unsigned integer, got {raw:?}"),
            )
        })?;
        total = total.checked_add(stake_lamports).ok_or_else(|| {
            bad(
                "active_stake_lamports",
                "total stake overflows u64 lamports; expected a total below 1.8e19".into(),
            )
        })?;

        let coordinate =
            |i: usize, column: &str, limit: f64| -> Result<Option<f64>, TopologyError> {
                let raw = field(i);
                if raw.is_empty() {
                    return Ok(None);
                }
                match raw.parse::<f64>() {
                    Ok(v) if v.is_finite() && (-limit..=limit).contains(&v) => Ok(Some(v)),
                    _ => Err(bad(
                        column,
                        format!("expected degrees in [-{limit}, {limit}], got {raw:?}"),
                    )),
                }
            };
        let latitude = coordinate(i_lat, "latitude", 90.0)?;
        let longitude = coordinate(i_lon, "longitude", 180.0)?;
        let location = match (latitude, longitude) {
            (Some(latitude_deg), Some(longitude_deg)) => Some(Location {
                latitude_deg,
                longitude_deg,
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(bad(
                    "longitude",
                    "empty but latitude is given; expected both or neither".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(bad(
                    "latitude",
                    "empty but longitude is given; expected both or neither".into(),
                ))
            }
        };

        let data_center = Some(field(i_dc))
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        rows.push(Row {
            line,
            validator: Validator {
                identity: identity.to_string(),
                stake_lamports,
                location,
                data_center,
            },
        });
    }
    if rows.is_empty() {
        return Err(err(
            file,
            None,
            None,
            "no validator rows; expected at least one".into(),
        ));
    }
    if total == 0 {
        return Err(err(
            file,
            None,
            Some("active_stake_lamports"),
            "total stake is 0; expected a positive total".into(),
        ));
    }
    rows.sort_by(|a, b| crate::validator_order(&a.validator, &b.validator));
    Ok(rows)
}

fn from_csv_error(file: &str, e: csv::Error) -> TopologyError {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => err(
            file,
            pos.as_ref().map(|p| p.line()),
            None,
            format!("expected {expected_len} fields (as many as the header), got {len}"),
        ),
        csv::ErrorKind::Utf8 { pos, .. } => err(
            file,
            pos.as_ref().map(|p| p.line()),
            None,
            "expected UTF-8 text".into(),
        ),
        _ => err(file, None, None, format!("malformed CSV: {e}")),
    }
}
