//! The observation stream is the only way figures reach the report: an
//! extra consumer added to a run sees records that add up to the report's
//! traffic, fault windows, restarts and finalizations.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use whiteout::backend::{drive, Backend};
use whiteout::observe::{
    Change, EventRecord, FaultPhase, FaultRecord, Lifecycle, Observer, Traffic, TrafficKind,
};
use whiteout::runner::{self, RunOptions, Session};
use whiteout::scenario;
use whiteout_node::Event;

/// What the extra consumer tallied.
#[derive(Debug, Default)]
struct Tally {
    messages_sent: u64,
    bytes_sent: u64,
    messages_received: u64,
    bytes_received: u64,
    faults_started: u64,
    faults_ended: u64,
    restarts: u64,
    crashes: u64,
    finalized_measured: u64,
    last_t_ns: u64,
    out_of_order: u64,
}

struct Tallying(Arc<Mutex<Tally>>);

impl Observer for Tallying {
    fn on_event(&mut self, r: &EventRecord<'_>) {
        let mut t = self.0.lock().unwrap();
        if r.t_ns < t.last_t_ns {
            t.out_of_order += 1;
        }
        t.last_t_ns = r.t_ns;
        if matches!(r.event, Event::Finalized { .. }) && !r.handed_over {
            t.finalized_measured += 1;
        }
    }

    fn on_traffic(&mut self, r: &Traffic) {
        let mut t = self.0.lock().unwrap();
        match r.kind {
            TrafficKind::Sent => {
                t.messages_sent += r.messages;
                t.bytes_sent += r.bytes;
            }
            TrafficKind::Received => {
                t.messages_received += r.messages;
                t.bytes_received += r.bytes;
            }
            TrafficKind::Dropped => {}
        }
    }

    fn on_fault(&mut self, r: &FaultRecord) {
        let mut t = self.0.lock().unwrap();
        match r.phase {
            FaultPhase::Started => t.faults_started += 1,
            FaultPhase::Ended => t.faults_ended += 1,
        }
    }

    fn on_lifecycle(&mut self, r: &Lifecycle) {
        let mut t = self.0.lock().unwrap();
        match r.change {
            Change::Restarted => t.restarts += 1,
            Change::Crashed => t.crashes += 1,
            Change::Byzantine | Change::Honest => {}
        }
    }
}

#[test]
fn an_extra_observer_sees_what_the_report_counts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let loaded =
        scenario::load(Some(&root.join("scenarios/crashed-leader-window.toml"))).expect("preset");
    let s = &loaded.scenario;
    let duration = Duration::from_secs(60);
    let options = RunOptions {
        duration: Some(duration),
        flush_every: Duration::from_secs(3600),
        ..RunOptions::default()
    };
    let report = runner::run(&loaded, &options, &AtomicBool::new(false))
        .expect("run")
        .report;

    let topology = whiteout_topologies::build(&s.topology, &loaded.base_dir()).expect("topology");
    let mut session =
        Session::sim(&loaded, &topology, s.seed, duration, &options).expect("session");
    let tally = Arc::new(Mutex::new(Tally::default()));
    session
        .backend
        .observers_mut()
        .add(Box::new(Tallying(tally.clone())));
    drive(
        &mut session.backend,
        session.conductor.as_mut(),
        duration.as_nanos() as u64,
    );
    let t = tally.lock().unwrap();
    let v = &report.validators;
    assert_eq!(t.out_of_order, 0, "events come in time order");
    assert_eq!(t.messages_sent, report.summary.messages_sent);
    assert_eq!(t.bytes_sent, report.summary.bytes_sent);
    assert_eq!(
        t.messages_received,
        v.iter().map(|v| v.messages_received).sum::<u64>()
    );
    assert_eq!(
        t.bytes_received,
        v.iter().map(|v| v.bytes_received).sum::<u64>()
    );
    assert!(!report.faults.is_empty(), "the preset's faults applied");
    assert_eq!(t.faults_started, report.faults.len() as u64);
    assert_eq!(
        t.faults_ended,
        report.faults.iter().filter(|f| f.end_s.is_some()).count() as u64
    );
    let verdicts = report.verdicts.as_ref().expect("chaos verdicts");
    assert_eq!(t.restarts, verdicts.restarts.len() as u64);
    assert!(t.crashes >= t.restarts && t.crashes > 0);
    // Every measured finalization of a (slot, validator) pair is an event
    // the consumer saw; pairs of the latency histogram are among them.
    assert!(t.finalized_measured >= report.summary.finalization_latency_ms.count);
    assert!(report.summary.finalization_latency_ms.count > 0);
}

/// Every copy that leaves a sender is received or dropped, also copies the
/// link worker finds lost (a fault-free lossy run, one thread and two).
#[test]
fn every_message_sent_is_received_or_dropped() {
    let loaded = scenario::LoadedScenario {
        scenario: scenario::parse(
            "[topology]\nkind = \"uniform\"\nvalidators = 12\n[network]\nloss_rate = 0.05\n[load]\ntx_per_s = 200.0\n",
            "lossy.toml",
        )
        .expect("valid scenario"),
        path: None,
    };
    let s = &loaded.scenario;
    let duration = Duration::from_secs(20);
    let topology = whiteout_topologies::build(&s.topology, &loaded.base_dir()).expect("topology");
    for threads in [1, 2] {
        let options = RunOptions {
            threads: Some(threads),
            ..RunOptions::default()
        };
        let mut session =
            Session::sim(&loaded, &topology, s.seed, duration, &options).expect("session");
        drive(
            &mut session.backend,
            session.conductor.as_mut(),
            duration.as_nanos() as u64,
        );
        let traffic = &session.backend.observers().metrics.traffic;
        let sent: u64 = traffic.iter().map(|t| t.messages_sent).sum();
        let received: u64 = traffic.iter().map(|t| t.messages_received).sum();
        let dropped: u64 = traffic.iter().map(|t| t.messages_dropped).sum();
        assert!(dropped > 0, "{threads} thread(s): 5% loss drops messages");
        assert_eq!(sent, received + dropped, "{threads} thread(s)");
    }
}
