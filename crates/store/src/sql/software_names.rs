//! The software summary's counts (`software_name_counts`: how many agents of
//! each client have each package name) and their journal.
//!
//! A report does not write the counts: it appends the change of each name's
//! count to `software_name_journal`, one row per transaction, with the
//! organization and client the agent is in at that moment. [`fold`] adds
//! the journal's rows to the counts and deletes them, in one transaction;
//! the server folds every few seconds and before the summary is read.
//! Issue 17's benchmark: a first inventory's ~1,500 upserts of counts were
//! 28 % of PostgreSQL's log and about half of its processor while 10,000
//! first inventories were stored; a fold sums the reports of many agents of
//! a client into one upsert per name.
//!
//! The counts are sums, so the order of what is added does not matter: an
//! agent's move or deletion still counts the rows it finds directly
//! (`count_agent_names`), and a journal row written before the move adds
//! to the client the rows were in.

use super::*;
use crate::StoreResult;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};
use std::collections::BTreeMap;

/// Journal rows one fold transaction takes. On PostgreSQL a first
/// inventory journals a row per 50 packages (~2 KB of JSON), thirty per
/// report: 1,000 rows are about thirty reports, summed into one upsert per
/// name (~1,500), and 2 MB to read. On SQLite a row per 500 packages
/// (~20 KB): 1,000 rows are more reports than ten seconds bring.
const FOLD_ROWS: i64 = 1_000;

/// Counts per upsert statement (five values each).
const COUNTS_STATEMENT: usize = 500;

/// A name's change: name key, name, change of its agents' count.
pub(crate) type NameChange = (String, String, i64);

/// Appends the agent's names' changes to the journal, for its organization
/// and client as they are now (nothing if the agent no longer exists).
pub(crate) async fn journal_names<DB: SqlDatabase>(
    tx: &mut sqlx::Transaction<'_, DB>,
    agent: &str,
    names: &[NameChange],
) -> StoreResult<()>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
{
    if names.is_empty() {
        return Ok(());
    }
    let json =
        serde_json::to_string(names).map_err(|e| corrupt(format!("software name journal: {e}")))?;
    sqlx::query(
        "INSERT INTO software_name_journal (organization_id, client_id, names) \
         SELECT organization_id, client_id, $1 FROM agents WHERE id = $2",
    )
    .bind(json)
    .bind(agent)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The names of the agent's rows (by key, in order), each with `by`.
pub(crate) async fn agent_names<DB: SqlDatabase>(
    tx: &mut sqlx::Transaction<'_, DB>,
    agent_key: i64,
    by: i64,
) -> StoreResult<Vec<NameChange>>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.name_key, MIN(p.name) FROM agent_software s \
         JOIN software_packages p ON p.id = s.package_id \
         WHERE s.agent_key = $1 GROUP BY p.name_key ORDER BY p.name_key",
    )
    .bind(agent_key)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(key, name)| (key, name, by))
        .collect())
}

/// Counts the agent's package names for its organization and client (`by`
/// 1), or stops counting them (`by` -1), directly: an agent's move to
/// another client and its deletion (`agents.rs`). What its reports changed
/// reaches the counts through the journal.
pub(crate) async fn count_agent_names<DB: SqlDatabase>(
    tx: &mut sqlx::Transaction<'_, DB>,
    agent: &str,
    by: i64,
) -> StoreResult<()>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO software_name_counts (organization_id, client_id, name_key, name, agents) \
         SELECT a.organization_id, a.client_id, p.name_key, MIN(p.name), $2 \
         FROM agents a JOIN inventory_agents k ON k.agent_id = a.id \
         JOIN agent_software s ON s.agent_key = k.agent_key \
         JOIN software_packages p ON p.id = s.package_id \
         WHERE a.id = $1 GROUP BY a.organization_id, a.client_id, p.name_key ORDER BY p.name_key \
         ON CONFLICT (organization_id, client_id, name_key) \
         DO UPDATE SET agents = software_name_counts.agents + excluded.agents",
    )
    .bind(agent)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl<DB: SqlDatabase> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// Adds the journal's rows written before this call to the counts;
    /// how many rows. Each transaction takes one client's oldest rows
    /// (several servers' folds pass over each other's, PostgreSQL), adds
    /// their sums in name order and deletes exactly those rows: a fold cut
    /// short by a crash leaves the rows, and the counts, as they were.
    pub(crate) async fn fold(&self) -> StoreResult<u64> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM software_name_journal")
            .fetch_one(&self.read)
            .await?;
        let Some(last) = last else {
            return Ok(0);
        };
        let mut folded = 0;
        loop {
            let mut writer = self.inventory_writer().await?;
            // A fold lost to a crash is lost whole and done again.
            let mut tx = super::inventory::begin_relaxed(&mut writer).await?;
            let client: Option<(String, String)> = sqlx::query_as(&format!(
                "SELECT organization_id, client_id FROM software_name_journal \
                 WHERE id <= $1 ORDER BY id LIMIT 1{}",
                DB::SKIP_LOCKED
            ))
            .bind(last)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((org, client)) = client else {
                return Ok(folded);
            };
            let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
                "SELECT id, names FROM software_name_journal \
                 WHERE organization_id = $1 AND client_id = $2 AND id <= $3 \
                 ORDER BY id LIMIT $4{}",
                DB::SKIP_LOCKED
            ))
            .bind(&org)
            .bind(&client)
            .bind(last)
            .bind(FOLD_ROWS)
            .fetch_all(&mut *tx)
            .await?;
            let sums = sum_changes(rows.iter().map(|(_, names)| names.as_str()))?;
            let sums: Vec<(&String, &(String, i64))> = sums.iter().collect();
            for chunk in sums.chunks(COUNTS_STATEMENT) {
                let sql = format!(
                    "INSERT INTO software_name_counts \
                     (organization_id, client_id, name_key, name, agents) {} \
                     ON CONFLICT (organization_id, client_id, name_key) \
                     DO UPDATE SET agents = software_name_counts.agents + excluded.agents",
                    values_list::<DB>(chunk.len(), 5)
                );
                let mut query = sqlx::query(&sql);
                for (key, (name, by)) in chunk {
                    query = query
                        .bind(org.as_str())
                        .bind(client.as_str())
                        .bind(key.as_str())
                        .bind(name.as_str())
                        .bind(*by);
                }
                query.execute(&mut *tx).await?;
            }
            let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
            for chunk in ids.chunks(COUNTS_STATEMENT) {
                let sql = format!(
                    "DELETE FROM software_name_journal WHERE id IN ({})",
                    bind_list::<DB>(chunk.len())
                );
                let mut query = sqlx::query(&sql);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            folded += ids.len() as u64;
        }
    }
}

/// The sum of each name's changes in journal rows (JSON lists of
/// [`NameChange`]), by name key; the name kept is the first row's, and
/// names whose changes cancel out are left out.
fn sum_changes<'a>(
    rows: impl Iterator<Item = &'a str>,
) -> StoreResult<BTreeMap<String, (String, i64)>> {
    let mut sums: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for names in rows {
        let changes: Vec<NameChange> = serde_json::from_str(names)
            .map_err(|e| corrupt(format!("software name journal: {e}")))?;
        for (key, name, by) in changes {
            sums.entry(key).or_insert((name, 0)).1 += by;
        }
    }
    sums.retain(|_, (_, by)| *by != 0);
    Ok(sums)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fold_sums_each_name_over_the_rows_and_leaves_out_what_cancels() {
        let rows = [
            r#"[["bash","bash",1],["openssl","OpenSSL",1]]"#,
            r#"[["openssl","openssl",1],["zsh","Zsh",1]]"#,
            r#"[["zsh","Zsh",-1]]"#,
        ];
        let sums = sum_changes(rows.into_iter()).unwrap();
        assert_eq!(
            sums.into_iter().collect::<Vec<_>>(),
            [
                ("bash".to_owned(), ("bash".to_owned(), 1)),
                ("openssl".to_owned(), ("OpenSSL".to_owned(), 2)),
            ]
        );
        assert!(matches!(
            sum_changes(["not json"].into_iter()),
            Err(crate::StoreError::Database(_))
        ));
    }
}
