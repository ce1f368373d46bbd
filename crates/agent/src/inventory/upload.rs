//! The inventory upload as a pure state machine over an explicit clock: when
//! to collect (at the first connection, every interval, at once on the
//! server's refresh), what to send (a full report, or a delta against the
//! base: the last report the server stored), and the exchange itself: offer,
//! the server's go, chunks of the JSON, the server's acknowledgement. One
//! upload at a time; one not acknowledged when the connection drops is
//! offered again, under a new id, on the next. `client.rs` drives it with
//! real time, a thread and the base file.

use std::time::Duration;

use gururmm_protocol::inventory::{
    chunk_end, InventoryOutcome, InventoryReport, InventoryUpload, MAX_UPLOAD_BYTES,
};
use gururmm_protocol::AgentFrame;
use serde::Serialize;
use tokio::time::Instant;

use super::delta::inventory_delta;
use super::{keep_unreadable_lists, Collected};

/// Largest upload, as a length in bytes.
const MAX_UPLOAD_LENGTH: usize = MAX_UPLOAD_BYTES as usize;

/// What an upload carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadKind {
    Full,
    Delta,
}

/// One upload, prepared from one collection and kept until the server
/// acknowledges it.
#[derive(Clone, Debug)]
pub struct Upload {
    kind: UploadKind,
    /// The whole report it was made from: the next base once stored, and
    /// what a full upload sends when the server lacks the base of a delta.
    report: InventoryReport,
    /// The [`InventoryUpload`] as JSON, which the chunks carry.
    json: String,
    /// Packages and services a delta names (0 for a full report).
    changes: usize,
}

impl Upload {
    pub fn kind(&self) -> UploadKind {
        self.kind
    }

    pub fn report(&self) -> &InventoryReport {
        &self.report
    }

    pub fn json(&self) -> &str {
        &self.json
    }

    pub fn changes(&self) -> usize {
        self.changes
    }
}

/// What a collection comes to.
#[derive(Clone, Debug)]
pub enum Prepared {
    Upload(Box<Upload>),
}

/// The upload for `collected`: without a base a full report; with one the
/// delta against it (the lists that could not be read taken from the base),
/// sent even when it is empty: the server's "collected at" then says when the
/// agent last looked, at the cost of one small write. A delta over [`MAX_UPLOAD_BYTES`] becomes a
/// full report, and a full report over it loses the ends of its lists
/// (marked `truncated`) until it fits: an incomplete inventory is better
/// than none.
pub fn prepare(
    base: Option<&InventoryReport>,
    collected: Collected,
) -> Result<Prepared, serde_json::Error> {
    let Some(base) = base else {
        return full_upload(collected.report).map(|upload| Prepared::Upload(Box::new(upload)));
    };
    let report = keep_unreadable_lists(base, collected);
    let delta = inventory_delta(base, &report);
    let changes = delta.changes();
    let json = serde_json::to_string(&InventoryUpload::Delta {
        base_collected_at: base.collected_at,
        delta,
    })?;
    if json.len() > MAX_UPLOAD_LENGTH {
        return full_upload(report).map(|upload| Prepared::Upload(Box::new(upload)));
    }
    Ok(Prepared::Upload(Box::new(Upload {
        kind: UploadKind::Delta,
        report,
        json,
        changes,
    })))
}

/// [`InventoryUpload::Full`] borrowing its report, so that serializing it
/// does not copy the report; the same JSON.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FullUploadJson<'a> {
    Full { report: &'a InventoryReport },
}

/// `report` as a full upload, cut to fit [`MAX_UPLOAD_BYTES`].
pub fn full_upload(mut report: InventoryReport) -> Result<Upload, serde_json::Error> {
    loop {
        let json = serde_json::to_string(&FullUploadJson::Full { report: &report })?;
        if json.len() <= MAX_UPLOAD_LENGTH || !cut_to_fit(&mut report, json.len()) {
            return Ok(Upload {
                kind: UploadKind::Full,
                report,
                json,
                changes: 0,
            });
        }
    }
}

/// Shortens the lists in proportion to how far `json_bytes` is over the
/// limit, with a tenth to spare so one pass usually fits; every non-empty
/// list loses at least one entry. False when there was nothing left to cut.
fn cut_to_fit(report: &mut InventoryReport, json_bytes: usize) -> bool {
    let keep = |length: usize| -> usize {
        let share = length as u128 * MAX_UPLOAD_LENGTH as u128 * 9 / 10 / json_bytes as u128;
        usize::try_from(share)
            .unwrap_or(length)
            .min(length.saturating_sub(1))
    };
    let before =
        report.packages.len() + report.services.len() + report.users.len() + report.groups.len();
    report.packages.truncate(keep(report.packages.len()));
    report.services.truncate(keep(report.services.len()));
    report.users.truncate(keep(report.users.len()));
    report.groups.truncate(keep(report.groups.len()));
    let after =
        report.packages.len() + report.services.len() + report.users.len() + report.groups.len();
    report.truncated |= after < before;
    after < before
}

/// Where the upload in flight is in its exchange with the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Not offered on this connection: new, or the last connection dropped.
    Unoffered,
    Offered {
        upload_id: u64,
    },
    Sending {
        upload_id: u64,
        sent_bytes: usize,
    },
    Sent {
        upload_id: u64,
    },
}

impl Phase {
    fn upload_id(self) -> Option<u64> {
        match self {
            Phase::Unoffered => None,
            Phase::Offered { upload_id }
            | Phase::Sending { upload_id, .. }
            | Phase::Sent { upload_id } => Some(upload_id),
        }
    }
}

#[derive(Debug)]
struct InFlight {
    upload: Upload,
    phase: Phase,
}

/// What the driver should do next.
#[derive(Debug)]
pub enum Step {
    /// The server stored this report: write it as the new base.
    PersistBase(Box<InventoryReport>),
    /// Collect an inventory now (then call
    /// [`UploadMachine::collection_finished`]).
    Collect,
    /// Nothing before this time; `None`: nothing until an event (a
    /// connection, a refresh, an acknowledgement, new settings).
    WaitUntil(Option<Instant>),
}

/// What an acknowledgement did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acknowledged {
    /// Not about the upload in flight; ignored.
    Unknown,
    /// Stored: the upload's report is the new base.
    Stored(UploadKind),
    /// The server lacks the delta's base: a full report is offered instead.
    SendingFull,
    /// Refused (or a full report asked for again): dropped; the next
    /// interval collects again.
    Dropped(UploadKind),
}

/// The upload's state, one per agent, outliving connections.
#[derive(Debug)]
pub struct UploadMachine {
    connected: bool,
    /// When the last collection started; `None` before the first.
    last_collection: Option<Instant>,
    refresh_requested: bool,
    collecting: bool,
    in_flight: Option<InFlight>,
    /// Stored by the server, not yet handed out to be written.
    stored: Option<InventoryReport>,
    next_upload_id: u64,
}

impl UploadMachine {
    /// Upload ids count up from `first_upload_id`, so each offer has a new one.
    pub fn new(first_upload_id: u64) -> Self {
        Self {
            connected: false,
            last_collection: None,
            refresh_requested: false,
            collecting: false,
            in_flight: None,
            stored: None,
            next_upload_id: first_upload_id,
        }
    }

    /// A session was welcomed.
    pub fn connected(&mut self) {
        self.connected = true;
    }

    /// The session ended: an upload not acknowledged is offered again, with
    /// a new id, on the next one.
    pub fn connection_lost(&mut self) {
        self.connected = false;
        if let Some(in_flight) = &mut self.in_flight {
            in_flight.phase = Phase::Unoffered;
        }
    }

    /// The server asks for an inventory now. If one is being collected or
    /// uploaded, another follows it.
    pub fn refresh(&mut self) {
        self.refresh_requested = true;
    }

    /// What to do at `now` with collections `interval` apart. Collections
    /// happen only while connected and with no upload in flight, so a
    /// machine that is offline or waits for the server's go does not pile
    /// them up; a new base is written before the next collection reads it.
    pub fn next_step(&mut self, now: Instant, interval: Duration) -> Step {
        if let Some(report) = self.stored.take() {
            return Step::PersistBase(Box::new(report));
        }
        if !self.connected || self.collecting || self.in_flight.is_some() {
            return Step::WaitUntil(None);
        }
        let due = match self.last_collection {
            Some(last) if !self.refresh_requested => last + interval,
            _ => now,
        };
        if due > now {
            return Step::WaitUntil(Some(due));
        }
        self.collecting = true;
        self.refresh_requested = false;
        self.last_collection = Some(now);
        Step::Collect
    }

    /// The collection ended: `None` when it failed (the next interval tries
    /// again). True when there is now an upload to offer.
    pub fn collection_finished(&mut self, prepared: Option<Prepared>) -> bool {
        self.collecting = false;
        match prepared {
            Some(Prepared::Upload(upload)) => {
                self.in_flight = Some(InFlight {
                    upload: *upload,
                    phase: Phase::Unoffered,
                });
                true
            }
            None => false,
        }
    }

    /// The next frame to send: the offer, then (after the server's go) the
    /// chunks, one per call.
    pub fn next_frame(&mut self) -> Option<AgentFrame> {
        if !self.connected {
            return None;
        }
        let in_flight = self.in_flight.as_mut()?;
        let json = &in_flight.upload.json;
        match in_flight.phase {
            Phase::Unoffered => {
                let upload_id = self.next_upload_id;
                self.next_upload_id = self.next_upload_id.wrapping_add(1);
                in_flight.phase = Phase::Offered { upload_id };
                Some(AgentFrame::InventoryOffer {
                    upload_id,
                    bytes: u32::try_from(json.len()).unwrap_or(u32::MAX),
                })
            }
            Phase::Sending {
                upload_id,
                sent_bytes,
            } => {
                let end = chunk_end(json, sent_bytes);
                let last = end == json.len();
                in_flight.phase = if last {
                    Phase::Sent { upload_id }
                } else {
                    Phase::Sending {
                        upload_id,
                        sent_bytes: end,
                    }
                };
                Some(AgentFrame::InventoryChunk {
                    upload_id,
                    data: json[sent_bytes..end].to_owned(),
                    last,
                })
            }
            Phase::Offered { .. } | Phase::Sent { .. } => None,
        }
    }

    /// The server says go for `upload_id`; false when that is not the
    /// upload offered (then it is ignored).
    pub fn go(&mut self, upload_id: u64) -> bool {
        match &mut self.in_flight {
            Some(in_flight) if in_flight.phase == Phase::Offered { upload_id } => {
                in_flight.phase = Phase::Sending {
                    upload_id,
                    sent_bytes: 0,
                };
                true
            }
            _ => false,
        }
    }

    /// The server's answer for `upload_id`, whenever it comes after the
    /// offer (a server may refuse before saying go).
    pub fn acknowledge(&mut self, upload_id: u64, outcome: InventoryOutcome) -> Acknowledged {
        let Some(in_flight) = self
            .in_flight
            .take_if(|in_flight| in_flight.phase.upload_id() == Some(upload_id))
        else {
            return Acknowledged::Unknown;
        };
        let upload = in_flight.upload;
        match (outcome, upload.kind) {
            (InventoryOutcome::Stored, kind) => {
                self.stored = Some(upload.report);
                Acknowledged::Stored(kind)
            }
            (InventoryOutcome::NeedFull, UploadKind::Delta) => match full_upload(upload.report) {
                Ok(full) => {
                    self.in_flight = Some(InFlight {
                        upload: full,
                        phase: Phase::Unoffered,
                    });
                    Acknowledged::SendingFull
                }
                Err(_) => Acknowledged::Dropped(UploadKind::Delta),
            },
            (InventoryOutcome::NeedFull | InventoryOutcome::Refused, kind) => {
                Acknowledged::Dropped(kind)
            }
        }
    }

    /// The upload in flight, if any (for tests and logs).
    pub fn upload(&self) -> Option<&Upload> {
        self.in_flight.as_ref().map(|in_flight| &in_flight.upload)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use gururmm_protocol::inventory::{
        Package, PackageSource, CHUNK_FRAME_BYTES, MAX_CHUNK_CHARS, MAX_PACKAGES,
    };

    use super::*;
    use crate::inventory::Unreadable;

    const HOUR: Duration = Duration::from_secs(3600);

    fn at(second: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_750_000_000 + second, 0).unwrap()
    }

    fn package(name: &str, version: &str, source: PackageSource) -> Package {
        Package {
            name: name.to_owned(),
            version: version.to_owned(),
            publisher: None,
            arch: None,
            install_date: None,
            source,
        }
    }

    fn report(collected_at: DateTime<Utc>, packages: &[(&str, &str)]) -> InventoryReport {
        InventoryReport {
            collected_at,
            packages: packages
                .iter()
                .map(|(name, version)| package(name, version, PackageSource::Dpkg))
                .collect(),
            ..InventoryReport::default()
        }
    }

    fn collected(report: InventoryReport) -> Collected {
        Collected {
            report,
            unreadable: Unreadable::default(),
        }
    }

    fn parse(json: &str) -> InventoryUpload {
        serde_json::from_str(json).unwrap()
    }

    fn prepared_upload(prepared: Prepared) -> Upload {
        match prepared {
            Prepared::Upload(upload) => *upload,
        }
    }

    /// A connected machine that collected `report` (without a base) at `now`.
    fn machine_with_upload(now: Instant, report: InventoryReport) -> UploadMachine {
        let mut machine = UploadMachine::new(100);
        machine.connected();
        assert!(matches!(machine.next_step(now, HOUR), Step::Collect));
        let prepared = prepare(None, collected(report)).unwrap();
        assert!(machine.collection_finished(Some(prepared)));
        machine
    }

    /// Offers, takes go and returns the reassembled JSON and the chunk count.
    fn offer_and_send(machine: &mut UploadMachine) -> (u64, String, usize) {
        let Some(AgentFrame::InventoryOffer { upload_id, bytes }) = machine.next_frame() else {
            panic!("expected an offer");
        };
        assert_eq!(machine.next_frame(), None, "nothing is sent before go");
        assert!(
            !machine.go(upload_id + 1),
            "go for another upload is ignored"
        );
        assert!(machine.go(upload_id));
        let mut json = String::new();
        let mut chunks = 0;
        loop {
            match machine.next_frame() {
                Some(AgentFrame::InventoryChunk {
                    upload_id: id,
                    data,
                    last,
                }) => {
                    assert_eq!(id, upload_id);
                    assert!(data.chars().count() <= MAX_CHUNK_CHARS);
                    json.push_str(&data);
                    chunks += 1;
                    if last {
                        break;
                    }
                }
                other => panic!("expected a chunk, got {other:?}"),
            }
        }
        assert_eq!(json.len(), bytes as usize);
        assert_eq!(machine.next_frame(), None, "nothing after the last chunk");
        (upload_id, json, chunks)
    }

    #[test]
    fn the_first_upload_is_a_full_report_sent_only_after_go() {
        let now = Instant::now();
        let first = report(at(0), &[("openssl", "3.0.7"), ("bash", "5.2")]);
        let mut machine = machine_with_upload(now, first.clone());
        let (_, json, chunks) = offer_and_send(&mut machine);
        assert_eq!(chunks, 1);
        assert_eq!(parse(&json), InventoryUpload::Full { report: first });
    }

    #[test]
    fn collections_wait_for_a_connection_and_follow_the_interval_and_refreshes() {
        let now = Instant::now();
        let mut machine = UploadMachine::new(1);
        assert!(matches!(
            machine.next_step(now, HOUR),
            Step::WaitUntil(None)
        ));
        machine.connected();
        assert!(matches!(machine.next_step(now, HOUR), Step::Collect));
        // Not twice at once.
        assert!(matches!(
            machine.next_step(now, HOUR),
            Step::WaitUntil(None)
        ));
        assert!(!machine.collection_finished(None));
        match machine.next_step(now + HOUR / 2, HOUR) {
            Step::WaitUntil(Some(due)) => assert_eq!(due, now + HOUR),
            other => panic!("expected a wait for the interval, got {other:?}"),
        }
        // A shorter interval from the server applies to the next one.
        assert!(matches!(
            machine.next_step(now + HOUR / 2, HOUR / 4),
            Step::Collect
        ));
        machine.collection_finished(None);
        machine.refresh();
        assert!(matches!(
            machine.next_step(now + HOUR / 2, HOUR),
            Step::Collect
        ));
        machine.collection_finished(None);
        // Offline when it is due: it waits for the connection.
        machine.connection_lost();
        assert!(matches!(
            machine.next_step(now + HOUR * 2, HOUR),
            Step::WaitUntil(None)
        ));
        machine.connected();
        assert!(matches!(
            machine.next_step(now + HOUR * 2, HOUR),
            Step::Collect
        ));
    }

    #[test]
    fn stored_makes_the_report_the_base_and_the_next_upload_a_delta() {
        let now = Instant::now();
        let first = report(at(0), &[("openssl", "3.0.7"), ("bash", "5.2")]);
        let mut machine = machine_with_upload(now, first.clone());
        let (upload_id, _, _) = offer_and_send(&mut machine);
        assert_eq!(
            machine.acknowledge(upload_id + 7, InventoryOutcome::Stored),
            Acknowledged::Unknown
        );
        assert_eq!(
            machine.acknowledge(upload_id, InventoryOutcome::Stored),
            Acknowledged::Stored(UploadKind::Full)
        );
        let base = match machine.next_step(now, HOUR) {
            Step::PersistBase(base) => base,
            other => panic!("expected the base to be written, got {other:?}"),
        };
        assert_eq!(*base, first);

        // A refresh collects at once; an upgrade is a delta against the base.
        machine.refresh();
        assert!(matches!(machine.next_step(now, HOUR), Step::Collect));
        let second = report(at(60), &[("openssl", "3.0.11"), ("bash", "5.2")]);
        let prepared = prepare(Some(&base), collected(second.clone())).unwrap();
        assert!(machine.collection_finished(Some(prepared)));
        let (second_id, json, _) = offer_and_send(&mut machine);
        assert!(second_id > upload_id, "every offer has a new id");
        match parse(&json) {
            InventoryUpload::Delta {
                base_collected_at,
                delta,
            } => {
                assert_eq!(base_collected_at, at(0));
                assert_eq!(delta.collected_at, at(60));
                assert_eq!(delta.changed_packages.len(), 1);
                assert_eq!(delta.changed_packages[0].after.version, "3.0.11");
            }
            other => panic!("expected a delta, got {other:?}"),
        }

        // The server lost the base: the same report goes again, whole.
        assert_eq!(
            machine.acknowledge(second_id, InventoryOutcome::NeedFull),
            Acknowledged::SendingFull
        );
        let (full_id, json, _) = offer_and_send(&mut machine);
        assert!(full_id > second_id);
        assert_eq!(
            parse(&json),
            InventoryUpload::Full {
                report: second.clone()
            }
        );
        // Asking for a full report again is not answered with a third one.
        assert_eq!(
            machine.acknowledge(full_id, InventoryOutcome::NeedFull),
            Acknowledged::Dropped(UploadKind::Full)
        );
        assert!(machine.upload().is_none());
    }

    #[test]
    fn an_unchanged_inventory_is_an_empty_delta_with_the_new_time() {
        let base = report(at(0), &[("openssl", "3.0.7")]);
        let again = report(at(3600), &[("openssl", "3.0.7")]);
        let upload = prepared_upload(prepare(Some(&base), collected(again)).unwrap());
        assert_eq!((upload.kind(), upload.changes()), (UploadKind::Delta, 0));
        match parse(upload.json()) {
            InventoryUpload::Delta {
                base_collected_at,
                delta,
            } => {
                assert_eq!(base_collected_at, at(0));
                assert_eq!(delta.collected_at, at(3600));
                assert!(delta.is_empty());
            }
            other => panic!("expected a delta, got {other:?}"),
        }
    }

    #[test]
    fn a_dropped_connection_offers_the_upload_again_under_a_new_id() {
        let now = Instant::now();
        let first = report(at(0), &[("openssl", "3.0.7")]);
        let mut machine = machine_with_upload(now, first.clone());
        let (upload_id, json, _) = offer_and_send(&mut machine);
        machine.connection_lost();
        assert_eq!(machine.next_frame(), None, "nothing is sent offline");
        // The old id's acknowledgement no longer counts, and no collection
        // starts while the upload waits.
        assert_eq!(
            machine.acknowledge(upload_id, InventoryOutcome::Stored),
            Acknowledged::Unknown
        );
        machine.connected();
        assert!(matches!(
            machine.next_step(now + HOUR * 2, HOUR),
            Step::WaitUntil(None)
        ));
        let (again_id, again_json, _) = offer_and_send(&mut machine);
        assert_ne!(again_id, upload_id);
        assert_eq!(again_json, json);
        // Refused: dropped, and the next interval collects again.
        assert_eq!(
            machine.acknowledge(again_id, InventoryOutcome::Refused),
            Acknowledged::Dropped(UploadKind::Full)
        );
        assert!(matches!(
            machine.next_step(now + HOUR * 2, HOUR),
            Step::Collect
        ));
    }

    #[test]
    fn a_refusal_may_come_before_go() {
        let now = Instant::now();
        let mut machine = machine_with_upload(now, report(at(0), &[("bash", "5.2")]));
        let Some(AgentFrame::InventoryOffer { upload_id, .. }) = machine.next_frame() else {
            panic!("expected an offer");
        };
        assert_eq!(
            machine.acknowledge(upload_id, InventoryOutcome::Refused),
            Acknowledged::Dropped(UploadKind::Full)
        );
        assert!(!machine.go(upload_id));
        assert_eq!(machine.next_frame(), None);
    }

    #[test]
    fn a_large_upload_is_cut_into_chunks_on_character_boundaries() {
        // Long non-ASCII names: the byte budget of a frame, not the
        // character count, ends these chunks.
        let packages: Vec<(String, String)> = (0..3000)
            .map(|n| (format!("пакет-{n}-{}", "ü\"".repeat(100)), format!("{n}.0")))
            .collect();
        let borrowed: Vec<(&str, &str)> = packages
            .iter()
            .map(|(name, version)| (name.as_str(), version.as_str()))
            .collect();
        let big = report(at(0), &borrowed);
        let now = Instant::now();
        let mut machine = machine_with_upload(now, big.clone());
        let Some(AgentFrame::InventoryOffer { upload_id, .. }) = machine.next_frame() else {
            panic!("expected an offer");
        };
        assert!(machine.go(upload_id));
        let mut json = String::new();
        let mut chunks = 0;
        while let Some(frame) = machine.next_frame() {
            let text = serde_json::to_string(&frame).unwrap();
            // Each frame fits the server's read buffer.
            assert!(text.len() <= CHUNK_FRAME_BYTES, "{} bytes", text.len());
            let AgentFrame::InventoryChunk { data, last, .. } = frame else {
                panic!("expected a chunk");
            };
            json.push_str(&data);
            chunks += 1;
            if last {
                break;
            }
        }
        assert!(chunks > 3, "{chunks} chunks");
        assert_eq!(parse(&json), InventoryUpload::Full { report: big });
    }

    #[test]
    fn a_report_over_the_upload_limit_is_cut_not_refused() {
        let long = "x".repeat(500);
        let mut big = report(at(0), &[]);
        big.packages = (0..MAX_PACKAGES)
            .map(|n| package(&format!("{long}{n}"), &long, PackageSource::Rpm))
            .collect();
        let upload = full_upload(big).unwrap();
        assert!(upload.json().len() <= MAX_UPLOAD_LENGTH);
        assert!(upload.report().truncated);
        assert!(upload.report().packages.len() < MAX_PACKAGES);
        assert!(upload.report().packages.len() > MAX_PACKAGES / 2);
        match parse(upload.json()) {
            InventoryUpload::Full { report } => assert_eq!(&report, upload.report()),
            other => panic!("expected a full report, got {other:?}"),
        }
    }

    #[test]
    fn a_source_that_failed_keeps_its_packages_from_the_base() {
        let mut base = report(at(0), &[("openssl", "3.0.7")]);
        base.packages
            .push(package("firefox", "126.0", PackageSource::Snap));
        // `snap list` timed out this time; dpkg shows an upgrade.
        let current = Collected {
            report: report(at(60), &[("openssl", "3.0.11")]),
            unreadable: Unreadable {
                package_sources: vec![PackageSource::Snap],
                ..Unreadable::default()
            },
        };
        let upload = prepared_upload(prepare(Some(&base), current).unwrap());
        match parse(upload.json()) {
            InventoryUpload::Delta { delta, .. } => {
                assert!(delta.removed_packages.is_empty(), "{delta:?}");
                assert_eq!(delta.changed_packages.len(), 1);
            }
            other => panic!("expected a delta, got {other:?}"),
        }
        // The next base still has the snap.
        assert!(upload
            .report()
            .packages
            .iter()
            .any(|package| package.name == "firefox"));
    }
}
