//! Load dependences in captured traces: a pointer chase names its producer,
//! an indexed walk names none.

mod common;

use common::{build_c, capture_to, read};
use memento_capture::CaptureMode;
use memento_trace::{Event, TraceFile};

const N: u64 = 1000;

/// A linked list of N nodes (linked in a scrambled order) walked with
/// `p = p->next`, then an array of N ints summed by index, both inside the
/// ROI; the node block and the array have sizes no other allocation has.
const WALKS: &str = r#"
#include <stdlib.h>
#include "memento_roi.h"
#define N 1000
struct node { struct node *next; long pad; };
__attribute__((noinline)) static long walk_list(struct node *p) {
    long n = 0;
    while (p) { n++; p = p->next; }
    return n;
}
__attribute__((noinline)) static long walk_array(const int *a, long n) {
    long sum = 0;
    for (long i = 0; i < n; i++) sum += a[i];
    return sum;
}
int main(void) {
    memento_roi_begin();
    struct node *nodes = malloc(N * sizeof *nodes);
    int *a = malloc(N * sizeof *a + 4);
    long at = 0;
    for (long i = 1; i < N; i++) {
        long next = (i * 389) % N;
        nodes[at].next = &nodes[next];
        at = next;
    }
    nodes[at].next = NULL;
    for (long i = 0; i < N; i++) a[i] = (int)i;
    long n = walk_list(&nodes[0]);
    long sum = walk_array(a, N);
    memento_roi_end();
    free(a);
    free(nodes);
    return n == N && sum == N * (N - 1) / 2 ? 0 : 1;
}
"#;

/// Per load of the trace (one thread): its address, size, and the distance
/// of the dependence event just before it (0: none).
fn loads_with_deps(events: &[Event]) -> Vec<(u64, u32, u8)> {
    let mut loads = Vec::new();
    let mut pending = 0;
    for event in events {
        match *event {
            Event::Dep { distance } => pending = distance,
            Event::Load { addr, size } => {
                loads.push((addr, size, pending));
                pending = 0;
            }
            Event::Store { .. } => pending = 0,
            _ => {}
        }
    }
    loads
}

#[test]
fn pointer_chase_loads_depend_on_the_previous_load_and_indexed_loads_on_none() {
    let dir = tempfile::tempdir().unwrap();
    // the last -O wins: the walks as a compiler would usually emit them
    let exe = build_c(dir.path(), "walks", WALKS, &["-O1"]);
    let trace = capture_to(dir.path(), "walks", &[&exe], true, CaptureMode::Full);

    let header = TraceFile::open(&trace).unwrap().header().clone();
    assert_eq!(header.version, 2);
    assert!(header.dependences, "the capture records dependences");

    let (events, _) = read(&trace);
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, Event::Thread { tid } if *tid != 1)),
        "one thread"
    );
    let block = |size: u64| {
        events
            .iter()
            .find_map(|e| match e {
                Event::Alloc(a) if a.size == size => Some(a.addr..a.addr + size),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no allocation of {size} bytes"))
    };
    let (nodes, array) = (block(16 * N), block(4 * N + 4));

    // every dependence names a load the trace has (the ROI begins before
    // the first one: the loads before it are not counted)
    let mut seen = 0usize;
    for window in events.windows(2) {
        match window {
            [Event::Dep { distance }, Event::Load { .. } | Event::Store { .. }] => assert!(
                usize::from(*distance) <= seen,
                "a dependence of distance {distance} after {seen} loads"
            ),
            [Event::Dep { .. }, next] => panic!("a dependence before {next:?}"),
            _ => {}
        }
        if matches!(window[0], Event::Load { .. }) {
            seen += 1;
        }
    }

    let loads = loads_with_deps(&events);
    // the list walk: loads of `next` pointers, each from the one before
    let list: Vec<usize> = (0..loads.len())
        .filter(|&i| loads[i].1 == 8 && nodes.contains(&loads[i].0))
        .collect();
    assert_eq!(list.len() as u64, N, "one load per node");
    let chained = list
        .windows(2)
        .filter(|w| usize::from(loads[w[1]].2) == w[1] - w[0] && w[1] - w[0] == 1)
        .count();
    assert!(
        chained as f64 >= 0.9 * (list.len() - 1) as f64,
        "{chained} of {} list loads depend on the previous list load (distance 1)",
        list.len() - 1
    );

    // the array walk: addresses from an index, not from a load
    let indexed: Vec<u8> = loads
        .iter()
        .filter(|l| l.1 == 4 && array.contains(&l.0))
        .map(|l| l.2)
        .collect();
    assert_eq!(indexed.len() as u64, N, "one load per element");
    let free = indexed.iter().filter(|&&d| d == 0).count();
    assert!(
        free as f64 >= 0.9 * indexed.len() as f64,
        "{free} of {} array loads have no dependence",
        indexed.len()
    );
}
