//! Open-loop load clients: Poisson arrivals from the run's generator, each
//! transaction sent to the leaders of the next leader windows.

use rand::Rng;
use whiteout_node::{Message, Slot, Transaction, Validator as _, ValidatorIndex};

use super::queue::SimEvent;
use super::Simulation;

impl Simulation {
    pub(super) fn exponential_ns(&mut self) -> u64 {
        let u: f64 = self.rng.random::<f64>();
        (-(1.0 - u).ln() * self.tx_interval_mean_ns).round() as u64
    }

    /// An open-loop client submits one transaction through a validator
    /// chosen uniformly, to the leaders of the next `leaders_per_tx` leader
    /// windows after that validator's current slot.
    pub(super) fn client_transaction(&mut self) {
        let n = self.nodes.len();
        let client = self.rng.random_range(0..n);
        let id = self.next_tx_id;
        self.next_tx_id += 1;
        self.obs
            .transaction(self.now_ns, id, ValidatorIndex(client as u32));
        let tx = Transaction {
            id,
            size_bytes: self.tx_size_bytes,
        };
        let current = match self.nodes[client].node() {
            Some(node) => node.current_slot(),
            None => self.slot_seen,
        };
        let w = self.schedule.slots_per_window();
        let first = self.schedule.window_start(current.next());
        let mut leaders: Vec<ValidatorIndex> = Vec::new();
        for k in 0..u64::from(self.leaders_per_tx) {
            let leader = self.schedule.leader(Slot(first.0 + k * w));
            if !leaders.contains(&leader) {
                leaders.push(leader);
            }
        }
        for leader in leaders {
            let delay = self.net.one_way_ns(client, leader.idx()) + self.jitter_ns();
            self.push(
                self.now_ns + delay,
                SimEvent::Deliver {
                    to: leader.0,
                    from: client as u32,
                    message: Message::Transaction(tx),
                },
            );
        }
        let next = self.exponential_ns();
        self.push(
            self.now_ns.saturating_add(next.max(1)),
            SimEvent::ClientTransaction,
        );
    }

    pub(super) fn jitter_ns(&mut self) -> u64 {
        if self.net.model.jitter_ns == 0 {
            0
        } else {
            self.rng.random_range(0..=self.net.model.jitter_ns)
        }
    }
}
