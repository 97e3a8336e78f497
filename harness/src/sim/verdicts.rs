//! Fault windows and verdicts.

use super::*;

impl Simulation {
    /// The faults of the scenario that had not started by now (see
    /// [`whiteout_results::Report::faults_not_started`]); empty without
    /// chaos.
    pub fn faults_not_started(&self) -> Vec<FaultNotStarted> {
        let Some(c) = &self.chaos else {
            return Vec::new();
        };
        c.timeline
            .not_started()
            .into_iter()
            .map(|info| FaultNotStarted {
                name: info.name.clone(),
                kind: info.kind.to_string(),
                target: info.target.clone(),
                start: info.start.to_string(),
            })
            .collect()
    }

    /// The faults that applied, in start order, with the times their
    /// actions applied.
    pub fn fault_windows(&self) -> Vec<FaultWindow> {
        let Some(c) = &self.chaos else {
            return Vec::new();
        };
        let mut out: Vec<(u64, FaultId, FaultWindow)> = c
            .windows
            .iter()
            .map(|(&id, w)| {
                let info = &c.timeline.faults[id];
                (
                    w.start_ns,
                    id,
                    FaultWindow {
                        name: info.name.clone(),
                        kind: info.kind.to_string(),
                        target: info.target.clone(),
                        start_s: w.start_ns as f64 / NS_PER_S as f64,
                        end_s: w.end_ns.map(|e| e as f64 / NS_PER_S as f64),
                    },
                )
            })
            .collect();
        out.sort_by_key(|(t, id, _)| (*t, *id));
        out.into_iter().map(|(_, _, f)| f).collect()
    }

    /// The verdicts so far (`None` for a run without chaos).
    pub fn verdicts(&self) -> Option<Verdicts> {
        let c = self.chaos.as_ref()?;
        let s = |ns: u64| ns as f64 / NS_PER_S as f64;
        let (stall_start, stall) = c.longest_stall_at(self.now_ns);
        let max_stall_s = c.expect.max_stall.map(|d| d.as_secs_f64());
        let safety_violations = self.metrics.safety_violations();
        let now_s = self.now_ns.div_ceil(NS_PER_S);
        let mut faults: Vec<(u64, FaultId, FaultVerdict)> = c
            .windows
            .iter()
            .map(|(&id, w)| {
                let start = w.start_ns / NS_PER_S;
                let end = w
                    .end_ns
                    .map_or(now_s, |e| e.div_ceil(NS_PER_S))
                    .max(start + 1);
                let len = (end - start).min(60);
                (
                    w.start_ns,
                    id,
                    FaultVerdict {
                        name: c.timeline.faults[id].name.clone(),
                        recovery_s: w
                            .end_ns
                            .zip(w.recovered_ns)
                            .map(|(e, r)| s(r.saturating_sub(e))),
                        during: self.metrics.window_figures(start, end),
                        before: (start > 0).then(|| {
                            self.metrics
                                .window_figures(start.saturating_sub(len), start)
                        }),
                    },
                )
            })
            .collect();
        faults.sort_by_key(|(t, id, _)| (*t, *id));
        Some(Verdicts {
            safe: safety_violations == 0,
            safety_expected: c.expect.safety,
            longest_stall_s: s(stall),
            longest_stall_start_s: s(stall_start),
            max_stall_s,
            liveness_ok: max_stall_s.is_none_or(|m| s(stall) <= m),
            faults: faults.into_iter().map(|(_, _, f)| f).collect(),
            restarts: c
                .restarts
                .iter()
                .map(|r| RestartCatchUp {
                    validator: r.validator,
                    restart_s: s(r.at_ns),
                    catch_up_s: r.caught_up_ns.map(|t| s(t - r.at_ns)),
                })
                .collect(),
        })
    }
}
