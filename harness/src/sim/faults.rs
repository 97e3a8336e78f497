//! Chaos applied to the simulation: partitions, crashes and restarts, link
//! faults, clock faults and Byzantine wrappers.

use super::*;

impl Simulation {
    pub(super) fn chaos_deadline_ns(&self) -> Option<u64> {
        let c = self.chaos.as_ref()?;
        c.timeline.next_deadline().map(|d| d.as_nanos() as u64)
    }

    /// Polls the timeline and applies the actions due.
    pub(super) fn poll_chaos(&mut self) {
        let Some(c) = self.chaos.as_mut() else {
            return;
        };
        c.dirty = false;
        let obs = Observation {
            now: Duration::from_nanos(self.now_ns),
            slot: c.obs_slot,
            skipped_in_a_row: c.skipped_in_a_row,
            schedule: &self.schedule,
        };
        let actions = c.timeline.poll(&obs);
        for action in actions {
            self.apply(action);
        }
    }

    pub(super) fn window_start(&mut self, id: FaultId) {
        let now = self.now_ns;
        let c = self.chaos.as_mut().expect("chaos");
        c.windows.entry(id).or_insert(Window {
            start_ns: now,
            end_ns: None,
            recovered_ns: None,
        });
    }

    pub(super) fn window_end(&mut self, id: FaultId) {
        let now = self.now_ns;
        let c = self.chaos.as_mut().expect("chaos");
        if let Some(w) = c.windows.get_mut(&id) {
            w.end_ns.get_or_insert(now);
        }
    }

    /// Applies one action of the timeline (see `whiteout_chaos::Action`):
    /// - partitions drop messages at send time (counted as sent, not
    ///   received);
    /// - a crashed validator's node is dropped, its timers go stale, its
    ///   shred inboxes and earliest-certificate entries are forgotten, and
    ///   messages reaching it while it is down are dropped;
    /// - a restarted validator gets a fresh node which is handed, at once,
    ///   the certificates of the most recent slots seen in the network
    ///   (state sync from a peer); it is started from genesis
    ///   (`handle_start`) only when these finalize nothing;
    /// - link faults combine per directed link;
    /// - clock faults change the validator's local clock (what its node
    ///   sees as `now` and how its timers map to simulated time);
    /// - Byzantine faults wrap the node, keeping its state.
    pub(super) fn apply(&mut self, action: Action) {
        let now = self.now_ns;
        match action {
            Action::Partition {
                id,
                groups,
                one_way,
            } => {
                let mut group = vec![u32::MAX; self.net.model.n];
                for (g, vs) in groups.iter().enumerate() {
                    for v in vs {
                        group[v.idx()] = g as u32;
                    }
                }
                let c = self.chaos.as_mut().expect("chaos");
                c.partitions.push((id, group, one_way));
                self.window_start(id);
            }
            Action::Heal { id } => {
                let c = self.chaos.as_mut().expect("chaos");
                c.partitions.retain(|(p, _, _)| *p != id);
                self.window_end(id);
            }
            Action::Crash { id, validators } => {
                self.window_start(id);
                for v in validators {
                    self.crash(v.idx());
                    let c = self.chaos.as_mut().expect("chaos");
                    c.crash_members.entry(id).or_default().insert(v.0);
                }
            }
            Action::Restart { id, validators } => {
                let mut ended = Vec::new();
                for v in &validators {
                    self.restart(v.idx());
                    let c = self.chaos.as_mut().expect("chaos");
                    for (crash, members) in c.crash_members.iter_mut() {
                        if members.remove(&v.0) && members.is_empty() {
                            ended.push(*crash);
                        }
                    }
                }
                ended.sort_unstable();
                ended.dedup();
                for crash in ended {
                    let c = self.chaos.as_mut().expect("chaos");
                    c.crash_members.remove(&crash);
                    self.window_end(crash);
                }
                if !self
                    .chaos
                    .as_ref()
                    .expect("chaos")
                    .windows
                    .contains_key(&id)
                {
                    // A restart fault: a moment.
                    self.window_start(id);
                    self.window_end(id);
                }
            }
            Action::Link {
                id,
                links,
                latency_ns_added,
                jitter_ns,
                loss_rate,
                bandwidth_bps,
            } => {
                let c = self.chaos.as_mut().expect("chaos");
                c.link_faults.push(LinkFault {
                    id,
                    links,
                    extra: LinkExtra {
                        latency_ns: latency_ns_added,
                        jitter_ns,
                        loss_rate,
                        bandwidth_bps,
                    },
                });
                c.rebuild_links();
                self.window_start(id);
            }
            Action::LinkRestore { id } => {
                let c = self.chaos.as_mut().expect("chaos");
                c.link_faults.retain(|f| f.id != id);
                c.rebuild_links();
                self.window_end(id);
            }
            Action::Clock {
                id,
                validators,
                rate,
                jump_ns,
            } => {
                for v in &validators {
                    let c = self.chaos.as_mut().expect("chaos");
                    c.clocks[v.idx()].set(now, rate, jump_ns);
                    self.retime_timers(v.idx());
                }
                self.window_start(id);
            }
            Action::ClockRestore { id, validators } => {
                for v in &validators {
                    let c = self.chaos.as_mut().expect("chaos");
                    c.clocks[v.idx()].set(now, 1.0, 0);
                    self.retime_timers(v.idx());
                }
                self.window_end(id);
            }
            Action::Byzantine {
                id,
                validators,
                behaviour,
            } => {
                for v in &validators {
                    let i = v.idx();
                    let c = self.chaos.as_mut().expect("chaos");
                    c.behaviour[i] = Some(behaviour);
                    c.ever_byzantine[i] = true;
                    c.any_byzantine = true;
                    let node = match std::mem::replace(&mut self.nodes[i], Validator::Down) {
                        Validator::Honest(n) => Some(n),
                        Validator::Byzantine(b) => Some(b.into_inner()),
                        Validator::Down => None,
                    };
                    if let Some(node) = node {
                        self.nodes[i] =
                            Validator::Byzantine(Box::new(ByzantineNode::new(node, behaviour)));
                    }
                }
                self.window_start(id);
            }
            Action::Honest { id, validators } => {
                for v in &validators {
                    let i = v.idx();
                    let c = self.chaos.as_mut().expect("chaos");
                    c.behaviour[i] = None;
                    if let Validator::Byzantine(b) =
                        std::mem::replace(&mut self.nodes[i], Validator::Down)
                    {
                        self.nodes[i] = Validator::Honest(b.into_inner());
                    }
                }
                self.window_end(id);
            }
        }
    }

    /// Validator `v` stops: its state, timers and shortcut entries go.
    pub(super) fn crash(&mut self, v: usize) {
        self.nodes[v] = Validator::Down;
        let c = self.chaos.as_mut().expect("chaos");
        c.generation[v] = c.generation[v].wrapping_add(1);
        c.ever_crashed[v] = true;
        for group in self.inboxes.values_mut() {
            group.reset(v, false);
        }
        for first in self.announced.values_mut() {
            first[v] = u64::MAX;
        }
        for due in self.certificate_due.values_mut() {
            due[v] = NO_COPY;
        }
    }

    /// Validator `v` comes back with a fresh node (Byzantine if a
    /// Byzantine fault on it is active), fed the recent certificates.
    pub(super) fn restart(&mut self, v: usize) {
        let node = Node::new(
            ValidatorIndex(v as u32),
            self.config.clone(),
            self.schedule.clone(),
        );
        let c = self.chaos.as_mut().expect("chaos");
        c.generation[v] = c.generation[v].wrapping_add(1);
        self.nodes[v] = match c.behaviour[v] {
            Some(b) => Validator::Byzantine(Box::new(ByzantineNode::new(node, b))),
            None => Validator::Honest(node),
        };
        c.restarts.push(Restart {
            validator: v as u32,
            at_ns: self.now_ns,
            slot_then: c.correct_highest,
            caught_up_ns: None,
        });
        let certs = c.recent_certificates();
        let peer = (0..self.net.model.n)
            .find(|&p| p != v && !self.nodes[p].is_down())
            .unwrap_or(v);
        let now = self.local_now(v);
        self.feeding = true;
        for cert in certs {
            self.nodes[v].handle_message(
                now,
                ValidatorIndex(peer as u32),
                Message::Certificate(cert),
            );
            self.drain(v);
        }
        self.feeding = false;
        if self.nodes[v]
            .node()
            .is_some_and(|n| n.highest_finalized() == Slot::GENESIS)
        {
            self.nodes[v].handle_start(now);
            self.drain(v);
        }
    }

    /// After a clock change: every queued timer of `v` goes stale and is
    /// queued again at the simulated time its local time now maps to.
    pub(super) fn retime_timers(&mut self, v: usize) {
        let c = self.chaos.as_mut().expect("chaos");
        let old = c.generation[v];
        c.generation[v] = old.wrapping_add(1);
        let fresh = c.generation[v];
        let clock = c.clocks[v];
        let mut again = Vec::new();
        for e in self.slab.iter().flatten() {
            if let SimEvent::Timer {
                node,
                timer,
                generation,
                local_at_ns,
            } = e
            {
                if *node as usize == v && *generation == old {
                    again.push((*timer, *local_at_ns));
                }
            }
        }
        for (timer, local_at_ns) in again {
            let at = clock.sim_ns(local_at_ns, self.now_ns);
            self.push(
                at,
                SimEvent::Timer {
                    node: v as u32,
                    timer,
                    generation: fresh,
                    local_at_ns,
                },
            );
        }
    }
}
