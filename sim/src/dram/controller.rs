//! The memory controller: maps addresses to channels, keeps per-channel
//! read and write queues, serves queued reads and drains writes between
//! watermarks in FR-FCFS order, each with a starvation cap, and counts every
//! transfer by cause.

use std::cell::RefCell;
use std::rc::Rc;

use super::channel::{Channel, RowOutcome, Service};
use super::config::{DramConfig, MapField, RefreshPolicy, RowPolicy};
use super::mapping::{AddressMapping, Location};
use super::standard::DramStandard;
use crate::cause::{Cause, CauseCounts};
use crate::stats::DramStats;

/// Read latencies below this many DRAM cycles are kept exactly in a
/// histogram, for the p99.
const EXACT_BUCKETS: usize = 4096;
/// Longer latencies (a saturated channel under many cores) go into
/// logarithmic buckets, this many per power of two (12.5% wide), so the
/// p99 stays meaningful instead of stopping at the last exact bucket.
const SUB_BUCKETS: usize = 8;
/// All buckets: exact ones, then `SUB_BUCKETS` per power of two from
/// 2^12 to 2^63.
const HISTOGRAM_BUCKETS: usize = EXACT_BUCKETS + (64 - 12) * SUB_BUCKETS;

/// The histogram bucket of a latency of `cycles`.
fn latency_bucket(cycles: u64) -> usize {
    if cycles < EXACT_BUCKETS as u64 {
        return cycles as usize;
    }
    let exponent = 63 - cycles.leading_zeros() as usize; // >= 12
    let sub = (cycles >> (exponent - 3)) as usize & (SUB_BUCKETS - 1);
    EXACT_BUCKETS + (exponent - 12) * SUB_BUCKETS + sub
}

/// The smallest latency, in cycles, of histogram bucket `bucket`.
fn bucket_floor(bucket: usize) -> u64 {
    if bucket < EXACT_BUCKETS {
        return bucket as u64;
    }
    let exponent = (bucket - EXACT_BUCKETS) / SUB_BUCKETS + 12;
    let sub = ((bucket - EXACT_BUCKETS) % SUB_BUCKETS) as u64;
    (1u64 << exponent) + (sub << (exponent - 3))
}

#[derive(Clone, Copy, Debug)]
struct QueuedWrite {
    line: u64,
    loc: Location,
    /// `Channel::bank_index` of `loc`: which writes a pick passes over.
    bank: u32,
    skipped: u32,
}

/// A read waiting in its channel's read queue for [`Dram::finish_read_dram`].
#[derive(Clone, Copy, Debug)]
struct QueuedRead {
    ticket: ReadTicket,
    line: u64,
    loc: Location,
    at: u64,
    skipped: u32,
}

/// What FR-FCFS picks among the queued reads of a channel.
#[derive(Clone, Copy, Debug)]
struct Pick {
    /// The read's index in its queue.
    index: usize,
    /// The first cycle its data could be on the bus.
    data: u64,
    /// The cycle the oldest queued read's first command could issue.
    ready: u64,
}

/// Names a read queued by [`Dram::queue_read_dram`] until it is completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadTicket(u64);

/// Counters of the controller, in DRAM cycles where a time is involved.
#[derive(Clone, Debug)]
pub struct DramCounters {
    /// Reads by cause.
    pub reads: CauseCounts,
    /// Writes by cause (counted when a write enters the write queue).
    pub writes: CauseCounts,
    /// Writes merged into a queued write of the same line.
    pub merged_writes: u64,
    /// Column accesses that found their row open.
    pub row_hits: u64,
    /// Column accesses to a precharged bank.
    pub row_misses: u64,
    /// Column accesses that had to close another row.
    pub row_conflicts: u64,
    /// Reads served from the write queue.
    pub forwarded_reads: u64,
    /// Write drains started at the high watermark.
    pub write_drains: u64,
    /// Writes served ahead of an older write because of a row hit.
    pub reordered_writes: u64,
    /// Reads served ahead of an older queued read because of a row hit.
    pub reordered_reads: u64,
    /// Sum of read latencies (arrival to last data beat).
    pub read_latency_sum: u64,
    /// Sum of the cycles reads waited for a read-queue slot (part of
    /// their latency).
    pub read_queue_wait_sum: u64,
    /// Read-latency histogram in DRAM cycles.
    pub read_latency_histogram: Vec<u64>,
}

impl DramCounters {
    /// Every counter at zero.
    fn zero() -> DramCounters {
        DramCounters {
            reads: CauseCounts::default(),
            writes: CauseCounts::default(),
            merged_writes: 0,
            row_hits: 0,
            row_misses: 0,
            row_conflicts: 0,
            forwarded_reads: 0,
            write_drains: 0,
            reordered_writes: 0,
            reordered_reads: 0,
            read_latency_sum: 0,
            read_queue_wait_sum: 0,
            read_latency_histogram: vec![0; HISTOGRAM_BUCKETS],
        }
    }
}

/// Where the controller reports every request it receives
/// (`memento replay --dram-trace`): the address (of the line, for a read),
/// whether it is a write, and its arrival in DRAM cycles. Writes are
/// reported as they arrive, reads as they are served, in the order FR-FCFS
/// chose: replayed in that order, one at a time, the requests take the
/// controller through the same states (`memento dram --in-order`).
pub trait DramRequestSink {
    /// One request as the controller receives it.
    fn request(&mut self, addr: u64, write: bool, at: u64);
}

/// The sink a controller reports its requests to, shared with whoever
/// reads them afterwards.
#[derive(Clone)]
struct RequestLog(Rc<RefCell<dyn DramRequestSink>>);

impl std::fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestLog")
    }
}

/// Main memory: channels of ranks of banks, behind one controller per
/// channel.
#[derive(Clone, Debug)]
pub struct Dram {
    standard: DramStandard,
    mapping: AddressMapping,
    channels: Vec<Channel>,
    write_queues: Vec<Vec<QueuedWrite>>,
    /// Reads enqueued and not yet served, per channel, oldest first.
    read_queues: Vec<Vec<QueuedRead>>,
    /// Reads served on the way to another one, until completed.
    served_reads: Vec<(ReadTicket, Service)>,
    next_ticket: u64,
    read_inflight: Vec<Vec<u64>>,
    read_queue: usize,
    write_high: usize,
    write_low: usize,

    starvation_cap: u32,
    read_starvation_cap: u32,
    line_shift: u32,
    core_mhz: u64,
    dram_mhz: u64,
    counters: DramCounters,
    /// Refreshes before the counters last started (a warm-up's).
    refreshes_before: u64,
    /// The cycle after the last data beat of any access so far.
    busy_until: u64,
    /// Where every request is reported, when someone asked.
    log: Option<RequestLog>,
}

impl Dram {
    /// A controller for `config` built from `standard`, behind cores
    /// clocked at `core_mhz`.
    pub fn new(
        config: &DramConfig,
        standard: &DramStandard,
        line_size: u32,
        core_mhz: u32,
    ) -> Dram {
        let o = &standard.organisation;
        let lines_per_row = (standard.row_bytes() / u64::from(line_size)).max(1) as u32;
        let mapping = AddressMapping::new(&config.mapping, line_size, |f| match f {
            MapField::Channel => config.channels,
            MapField::Rank => config.ranks,
            MapField::BankGroup => o.bank_groups,
            MapField::Bank => o.banks_per_group,
            MapField::Row => o.rows,
            MapField::Column => lines_per_row,
        });
        let closed = config.row_policy == RowPolicy::Closed;
        let n = config.channels as usize;
        Dram {
            standard: standard.clone(),
            mapping,
            channels: (0..n)
                .map(|_| {
                    Channel::new(
                        &standard.timing,
                        config.ranks,
                        o.bank_groups,
                        o.banks_per_group,
                        closed,
                        config.refresh == RefreshPolicy::Staggered,
                    )
                })
                .collect(),
            write_queues: vec![Vec::with_capacity(config.write_queue as usize); n],
            read_queues: vec![Vec::new(); n],
            served_reads: Vec::new(),
            next_ticket: 0,
            read_inflight: vec![Vec::with_capacity(config.read_queue as usize); n],
            read_queue: config.read_queue as usize,
            write_high: config.write_high as usize,
            write_low: config.write_low as usize,

            starvation_cap: config.starvation_cap,
            read_starvation_cap: config.read_starvation_cap,
            line_shift: line_size.trailing_zeros(),
            core_mhz: u64::from(core_mhz),
            dram_mhz: u64::from(standard.clock_mhz()),
            refreshes_before: 0,
            counters: DramCounters::zero(),
            busy_until: 0,
            log: None,
        }
    }

    /// Whether a request served after a later-arriving one may take the
    /// idle gaps before that one's commands (on by default, as the machine
    /// settles reads in batches). Trace-driven FR-FCFS serving, whose
    /// arrivals come in order, turns it off: there the order of service is
    /// the controller's choice, and each access follows the one before.
    pub fn set_fill_gaps(&mut self, on: bool) {
        for c in &mut self.channels {
            c.set_fill_gaps(on);
        }
    }

    /// The standard this memory follows.
    pub fn standard(&self) -> &DramStandard {
        &self.standard
    }

    /// The address mapping.
    pub fn mapping(&self) -> &AddressMapping {
        &self.mapping
    }

    /// Puts each page of `page_size` bytes at a pseudo-random frame
    /// ([`super::PageFrames::Random`]).
    pub fn randomize_frames(&mut self, page_size: u32) {
        self.mapping.randomize_frames(page_size);
    }

    /// Reports every request from now on to `sink` (reads and writes,
    /// including those merged and forwarded; see [`DramRequestSink`]).
    pub fn record_requests(&mut self, sink: Rc<RefCell<dyn DramRequestSink>>) {
        self.log = Some(RequestLog(sink));
    }

    /// The cycle after the last data beat of any access so far (DRAM
    /// cycles).
    pub fn busy_until(&self) -> u64 {
        self.busy_until
    }

    /// The counters so far.
    pub fn counters(&self) -> &DramCounters {
        &self.counters
    }

    /// Refreshes performed so far, over all channels.
    pub fn refreshes(&self) -> u64 {
        self.channels.iter().map(|c| c.refreshes).sum::<u64>() - self.refreshes_before
    }

    /// Starts the counters again (the end of a warm-up); the banks, queues
    /// and refresh schedule keep their state.
    pub fn reset_stats(&mut self) {
        self.refreshes_before += self.refreshes();
        self.counters = DramCounters::zero();
    }

    /// Writes waiting in the write queues.
    pub fn queued_writes(&self) -> usize {
        self.write_queues.iter().map(Vec::len).sum()
    }

    /// Core cycle to the DRAM cycle at or after it.
    pub fn to_dram_cycle(&self, core: u64) -> u64 {
        ((u128::from(core) * u128::from(self.dram_mhz)).div_ceil(u128::from(self.core_mhz))) as u64
    }

    /// DRAM cycle to the core cycle at or after it.
    pub fn to_core_cycle(&self, dram: u64) -> u64 {
        ((u128::from(dram) * u128::from(self.core_mhz)).div_ceil(u128::from(self.dram_mhz))) as u64
    }

    /// Reads the line holding `addr` for a request made at core cycle
    /// `now`; returns the core cycle at which its last beat arrives.
    pub fn read_core(&mut self, addr: u64, cause: Cause, now: u64) -> u64 {
        let at = self.to_dram_cycle(now);
        let done = self.read_dram(addr, cause, at).data_end;
        self.to_core_cycle(done)
    }

    /// [`Self::queue_read_dram`] for a request made at core cycle `now`.
    pub fn queue_read_core(&mut self, addr: u64, cause: Cause, now: u64) -> ReadTicket {
        let at = self.to_dram_cycle(now);
        self.queue_read_dram(addr, cause, at)
    }

    /// [`Self::finish_read_dram`]: the core cycle at which the last beat of a
    /// queued read arrives.
    pub fn finish_read_core(&mut self, ticket: ReadTicket) -> u64 {
        let done = self.finish_read_dram(ticket).data_end;
        self.to_core_cycle(done)
    }

    /// Posts a write of the line holding `addr` at core cycle `now`.
    pub fn write_core(&mut self, addr: u64, cause: Cause, now: u64) {
        let at = self.to_dram_cycle(now);
        self.write_dram(addr, cause, at);
    }

    /// A read arriving at DRAM cycle `at`, served at once (after the reads
    /// already queued on its channel, in FR-FCFS order among them all; see
    /// [`Self::finish_read_dram`]).
    pub fn read_dram(&mut self, addr: u64, cause: Cause, at: u64) -> Service {
        let r = self.request(addr, cause, at);
        let ch = r.loc.channel as usize;
        if self.read_queues[ch].is_empty() {
            // Alone in its queue (the usual case): nothing to choose from.
            return self.serve_read(ch, r);
        }
        self.queue(r);
        self.finish_read_dram(r.ticket)
    }

    /// Queues a read arriving at DRAM cycle `at` without serving it yet, so
    /// that reads queued together are scheduled FR-FCFS among themselves.
    pub fn queue_read_dram(&mut self, addr: u64, cause: Cause, at: u64) -> ReadTicket {
        let r = self.request(addr, cause, at);
        self.queue(r);
        r.ticket
    }

    /// A new read request, counted under `cause`.
    fn request(&mut self, addr: u64, cause: Cause, at: u64) -> QueuedRead {
        let ticket = ReadTicket(self.next_ticket);
        self.next_ticket += 1;
        self.counters.reads.add(cause, 1);
        QueuedRead {
            ticket,
            line: addr >> self.line_shift,
            loc: self.mapping.locate(addr),
            at,
            skipped: 0,
        }
    }

    fn queue(&mut self, r: QueuedRead) {
        let queue = &mut self.read_queues[r.loc.channel as usize];
        // Oldest first by arrival; equal arrivals in the order they came.
        let i = queue.partition_point(|q| q.at <= r.at);
        queue.insert(i, r);
    }

    /// Serves queued reads of the channel of `ticket` in FR-FCFS order until
    /// that read is served, and returns its commands. Each choice is made
    /// for the oldest queued read: a read passed over `read_starvation_cap`
    /// times goes first; otherwise the oldest read that finds its row open
    /// and arrived before the oldest read's first command could issue;
    /// otherwise the oldest.
    ///
    /// Every enqueued read must be completed (or flushed): the results of
    /// reads served on the way are kept until then.
    ///
    /// # Panics
    /// If `ticket` was already completed.
    pub fn finish_read_dram(&mut self, ticket: ReadTicket) -> Service {
        if let Some(i) = self.served_reads.iter().position(|(t, _)| *t == ticket) {
            return self.served_reads.swap_remove(i).1;
        }
        let ch = self
            .read_queues
            .iter()
            .position(|q| q.iter().any(|r| r.ticket == ticket))
            .expect("a read is completed once");
        loop {
            let (served, s) = self.serve_next_read(ch);
            if served == ticket {
                return s;
            }
            self.served_reads.push((served, s));
        }
    }

    /// Serves the read of the queue of `ch` that FR-FCFS picks next (see
    /// [`Self::finish_read_dram`]).
    fn serve_next_read(&mut self, ch: usize) -> (ReadTicket, Service) {
        let pick = self.pick_read(ch).index;
        self.serve_picked(ch, pick)
    }

    /// Serves the read at index `pick` of the queue of `ch`; the older ones
    /// to the same bank count it as passing them (a row kept open for it).
    fn serve_picked(&mut self, ch: usize, pick: usize) -> (ReadTicket, Service) {
        let queue = &mut self.read_queues[ch];
        let l = queue[pick].loc;
        for r in &mut queue[..pick] {
            if (r.loc.rank, r.loc.bank_group, r.loc.bank) == (l.rank, l.bank_group, l.bank) {
                r.skipped += 1;
            }
        }
        self.counters.reordered_reads += u64::from(pick > 0);
        let r = queue.remove(pick);
        (r.ticket, self.serve_read(ch, r))
    }

    /// Trace-driven use (`memento dram`), where nobody waits for a read's
    /// answer: a read arriving at DRAM cycle `at` joins its channel's
    /// queue. First the reads already queued there whose turn is settled
    /// before `at` are served: while the oldest one's first command could
    /// issue before `at`, or FR-FCFS's pick could have its data on the bus
    /// before a read arriving at `at` could (tCL after it), nothing arriving
    /// later can change the choice. A queue already holding
    /// `read_queue` reads serves its next one to make room (the controller
    /// considers that many at once). Reads served this way are not kept for
    /// [`Self::finish_read_dram`].
    pub fn arrive_read(&mut self, addr: u64, cause: Cause, at: u64) {
        let r = self.request(addr, cause, at);
        let ch = r.loc.channel as usize;
        self.serve_settled_reads(ch, at, self.read_queue - 1);
        self.queue(r);
    }

    /// Serves the reads queued on `ch` whose turn is settled before `at`
    /// (see [`Self::arrive_read`]), then more until at most `keep` are
    /// left.
    fn serve_settled_reads(&mut self, ch: usize, at: u64, keep: usize) {
        let earliest = at + u64::from(self.standard.timing.cl);
        while !self.read_queues[ch].is_empty() {
            let pick = self.pick_read(ch);
            let open = pick.ready >= at && pick.data >= earliest;
            if open && self.read_queues[ch].len() <= keep {
                break;
            }
            self.serve_picked(ch, pick.index);
        }
    }

    /// Trace-driven use: a write arriving at DRAM cycle `at`, as
    /// [`Self::write_dram`], once the queued reads whose turn is settled
    /// are served. Every queued read of its channel is served first when
    /// one of them reads the write's line (it must not be forwarded the
    /// newer data). A drain the write starts passes the reads still
    /// queued, as a controller stops taking reads while it drains.
    pub fn arrive_write(&mut self, addr: u64, cause: Cause, at: u64) {
        let ch = self.mapping.locate(addr).channel as usize;
        let line = addr >> self.line_shift;
        let read_of_line = self.read_queues[ch].iter().any(|r| r.line == line);
        let keep = if read_of_line { 0 } else { usize::MAX };
        self.serve_settled_reads(ch, at, keep);
        self.write_dram(addr, cause, at);
    }

    /// Trace-driven use: serves every queued read, as at the end of a
    /// trace.
    pub fn serve_queued_reads(&mut self) {
        for ch in 0..self.read_queues.len() {
            while !self.read_queues[ch].is_empty() {
                self.serve_next_read(ch);
            }
        }
    }

    /// FR-FCFS's choice among the reads queued on `ch`. A read passed over
    /// `read_starvation_cap` times goes first. Otherwise the candidates are
    /// the reads that had arrived when the oldest one's first command could
    /// issue (a later one finds the bank as that command leaves it), and of
    /// them goes the one whose data could come first, the oldest among
    /// equals: first ready, then first come. So a row hit passes reads that
    /// need their row opened, and a read to an idle bank or bank group
    /// passes one that waits for a busy one.
    fn pick_read(&self, ch: usize) -> Pick {
        let queue = &self.read_queues[ch];
        let channel = &self.channels[ch];
        let data = |r: &QueuedRead| {
            let l = r.loc;
            channel.data_start(l.rank, l.bank_group, l.bank, l.row, false, r.at)
        };
        let oldest = &queue[0];
        let o = oldest.loc;
        let ready = channel.first_read_command(o.rank, o.bank_group, o.bank, o.row, oldest.at);
        if let Some(i) = queue
            .iter()
            .position(|r| r.skipped >= self.read_starvation_cap)
        {
            return Pick {
                index: i,
                data: data(&queue[i]),
                ready,
            };
        }
        let mut pick = Pick {
            index: 0,
            data: data(oldest),
            ready,
        };
        for (i, r) in queue.iter().enumerate().skip(1) {
            if r.at > ready {
                continue;
            }
            let d = data(r);
            if d < pick.data {
                (pick.index, pick.data) = (i, d);
            }
        }
        pick
    }

    /// Issues one read taken from the queue: forwarded from the write queue
    /// when the line is there, otherwise at the earliest legal cycles after
    /// waiting for a read-queue slot if all are taken.
    fn serve_read(&mut self, ch: usize, r: QueuedRead) -> Service {
        let (loc, at) = (r.loc, r.at);
        if let Some(log) = &self.log {
            log.0
                .borrow_mut()
                .request(r.line << self.line_shift, false, at);
        }
        if self.write_queues[ch].iter().any(|w| w.line == r.line) {
            // The newest data is in the write queue: forward it.
            self.counters.forwarded_reads += 1;
            self.record_latency(1);
            self.busy_until = self.busy_until.max(at + 1);
            return Service {
                row: RowOutcome::Hit,
                pre: None,
                act: None,
                col: at,
                data_start: at,
                data_end: at + 1,
            };
        }
        let inflight = &mut self.read_inflight[ch];
        inflight.retain(|&leave| leave > at);
        let mut start = at;
        if inflight.len() >= self.read_queue {
            let (i, &first) = inflight
                .iter()
                .enumerate()
                .min_by_key(|(_, t)| **t)
                .expect("queue is full");
            inflight.swap_remove(i);
            start = first;
        }
        let s = self.channels[ch].access(loc.rank, loc.bank_group, loc.bank, loc.row, false, start);
        self.read_inflight[ch].push(s.col);
        self.count_row(s.row);
        self.record_latency(s.data_end - at);
        self.counters.read_queue_wait_sum += start - at;
        self.busy_until = self.busy_until.max(s.data_end);
        s
    }

    /// A write arriving at DRAM cycle `at`: queued; when the queue reaches
    /// the high watermark, writes are drained down to the low watermark.
    pub fn write_dram(&mut self, addr: u64, cause: Cause, at: u64) {
        if let Some(log) = &self.log {
            log.0.borrow_mut().request(addr, true, at);
        }
        let line = addr >> self.line_shift;
        let loc = self.mapping.locate(addr);
        let ch = loc.channel as usize;
        let bank = self.channels[ch].bank_index(loc.rank, loc.bank_group, loc.bank) as u32;
        let queue = &mut self.write_queues[ch];
        if queue.iter().any(|w| w.line == line) {
            // Merged with the queued write of the same line: no transfer.
            self.counters.merged_writes += 1;
            return;
        }
        self.counters.writes.add(cause, 1);
        queue.push(QueuedWrite {
            line,
            loc,
            bank,
            skipped: 0,
        });
        if queue.len() >= self.write_high {
            self.counters.write_drains += 1;
            self.drain(ch, self.write_low, at);
        }
    }

    /// Serves every queued read (their results are dropped) and issues
    /// every queued write, as at the end of a run, and performs the
    /// refreshes due by `at`; returns the DRAM cycle at which the last write
    /// finished.
    pub fn flush(&mut self, at: u64) -> u64 {
        let mut end = at;
        for ch in 0..self.channels.len() {
            while let Some(ticket) = self.read_queues[ch].last().map(|r| r.ticket) {
                self.finish_read_dram(ticket);
            }
            self.served_reads.clear();
            end = end.max(self.drain(ch, 0, at));
            self.channels[ch].refresh_all_until(at);
        }
        end
    }

    /// FR-FCFS over the write queue of `ch` until `keep` writes remain: a
    /// write passed over `starvation_cap` times by writes to its bank goes
    /// first; otherwise the write whose data could go first, the oldest
    /// among equals (a row hit passes writes that need their row opened, a
    /// write to an idle bank passes one that waits for a busy one).
    fn drain(&mut self, ch: usize, keep: usize, at: u64) -> u64 {
        let mut end = at;
        while self.write_queues[ch].len() > keep {
            let queue = &self.write_queues[ch];
            let channel = &self.channels[ch];
            let pick = match queue.iter().position(|w| w.skipped >= self.starvation_cap) {
                Some(starved) => starved,
                None => {
                    let data = |w: &QueuedWrite| {
                        let l = w.loc;
                        channel.data_start(l.rank, l.bank_group, l.bank, l.row, true, at)
                    };
                    let mut best = (0, data(&queue[0]));
                    for (i, w) in queue.iter().enumerate().skip(1) {
                        let d = data(w);
                        if d < best.1 {
                            best = (i, d);
                        }
                    }
                    best.0
                }
            };
            if pick > 0 {
                self.counters.reordered_writes += 1;
            }
            let queue = &mut self.write_queues[ch];
            let bank = queue[pick].bank;
            for w in queue[..pick].iter_mut().filter(|w| w.bank == bank) {
                w.skipped += 1;
            }
            let w = queue.remove(pick);
            let s = self.channels[ch].access(
                w.loc.rank,
                w.loc.bank_group,
                w.loc.bank,
                w.loc.row,
                true,
                at,
            );
            self.count_row(s.row);
            end = end.max(s.data_end);
        }
        self.busy_until = self.busy_until.max(end);
        end
    }

    fn count_row(&mut self, row: RowOutcome) {
        match row {
            RowOutcome::Hit => self.counters.row_hits += 1,
            RowOutcome::Miss => self.counters.row_misses += 1,
            RowOutcome::Conflict => self.counters.row_conflicts += 1,
        }
    }

    fn record_latency(&mut self, cycles: u64) {
        self.counters.read_latency_sum += cycles;
        self.counters.read_latency_histogram[latency_bucket(cycles)] += 1;
    }

    /// The `percent`th percentile of the read latencies so far, in DRAM
    /// cycles (the floor of its histogram bucket: exact below 4096
    /// cycles); 0 before any read.
    pub fn read_latency_percentile(&self, percent: u64) -> u64 {
        let histogram = &self.counters.read_latency_histogram;
        let served: u64 = histogram.iter().sum();
        // The percentile's position (1-based): the 99th of 1000 reads is
        // the 990th, the 50th of 3 the 2nd.
        let rank = ((u128::from(served) * u128::from(percent)).div_ceil(100) as u64).max(1);
        let mut seen = 0;
        for (bucket, &n) in histogram.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return bucket_floor(bucket);
            }
        }
        0
    }

    /// The results after a run of `elapsed` core cycles.
    pub fn stats(&self, elapsed: u64) -> DramStats {
        let c = &self.counters;
        let served: u64 = c.read_latency_histogram.iter().sum();
        let ns = |dram_cycles: f64| dram_cycles * 1000.0 / self.dram_mhz as f64;
        let avg = if served == 0 {
            0.0
        } else {
            ns(c.read_latency_sum as f64 / served as f64)
        };
        let bytes = (c.reads.transfers() + c.writes.transfers()) << self.line_shift;
        let seconds = elapsed as f64 / (self.core_mhz as f64 * 1e6);
        DramStats {
            standard: self.standard.name.clone(),
            reads: c.reads,
            writes: c.writes,
            forwarded_reads: c.forwarded_reads,
            merged_writes: c.merged_writes,
            row_hits: c.row_hits,
            row_misses: c.row_misses,
            row_conflicts: c.row_conflicts,
            refreshes: self.refreshes(),
            write_drains: c.write_drains,
            reordered_writes: c.reordered_writes,
            reordered_reads: c.reordered_reads,
            avg_read_latency_ns: avg,
            p50_read_latency_ns: ns(self.read_latency_percentile(50) as f64),
            p99_read_latency_ns: ns(self.read_latency_percentile(99) as f64),
            bytes,
            bandwidth_gb_s: if seconds > 0.0 {
                bytes as f64 / seconds / 1e9
            } else {
                0.0
            },
        }
    }
}

#[cfg(test)]
mod latency_histogram_tests {
    use super::*;

    #[test]
    fn a_latency_lies_in_its_bucket_and_buckets_are_at_most_an_eighth_wide() {
        let mut v = 1u64;
        let mut last = 0;
        while v < u64::MAX / 3 {
            for probe in [v - 1, v, v + 1, v + v / 3] {
                let b = latency_bucket(probe);
                assert!(b < HISTOGRAM_BUCKETS, "{probe}");
                assert!(bucket_floor(b) <= probe, "{probe} below its bucket {b}");
                if b + 1 < HISTOGRAM_BUCKETS {
                    assert!(probe < bucket_floor(b + 1), "{probe} past its bucket {b}");
                }
                assert!(probe - bucket_floor(b) <= probe / 8, "{probe}");
            }
            assert!(latency_bucket(v) >= last, "monotonic at {v}");
            last = latency_bucket(v);
            v = v * 3 / 2 + 1;
        }
        assert_eq!(latency_bucket(u64::MAX), HISTOGRAM_BUCKETS - 1);
        assert_eq!(latency_bucket(4095), 4095);
        assert_eq!(bucket_floor(latency_bucket(4096)), 4096);
    }
}
