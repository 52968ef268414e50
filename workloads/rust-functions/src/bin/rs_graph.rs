//! A small graph job: a seeded random graph as adjacency vectors, a
//! breadth-first search from vertex 0 and the connected components.

use std::collections::VecDeque;

use memento_rust_functions::{driver, rng};

const VERTICES: usize = 20_000;

fn make_input() -> Vec<(u32, u32)> {
    let mut r = rng::Rng::new(33);
    (0..50_000)
        .map(|_| {
            (
                r.below(VERTICES as u64) as u32,
                r.below(VERTICES as u64) as u32,
            )
        })
        .collect()
}

fn handler(edges: &[(u32, u32)]) -> String {
    let mut adjacency: Vec<Vec<u32>> = vec![Vec::new(); VERTICES];
    for &(a, b) in edges {
        adjacency[a as usize].push(b);
        adjacency[b as usize].push(a);
    }
    let mut component = vec![u32::MAX; VERTICES];
    let mut depth_max = 0;
    let mut components = 0;
    for start in 0..VERTICES {
        if component[start] != u32::MAX {
            continue;
        }
        let mut queue = VecDeque::from([(start, 0u32)]);
        component[start] = components;
        while let Some((v, depth)) = queue.pop_front() {
            if components == 0 {
                depth_max = depth_max.max(depth);
            }
            for &w in &adjacency[v] {
                if component[w as usize] == u32::MAX {
                    component[w as usize] = components;
                    queue.push_back((w as usize, depth + 1));
                }
            }
        }
        components += 1;
    }
    let reached = component.iter().filter(|&&c| c == 0).count();
    format!("reached={reached} components={components} depth={depth_max}")
}

fn main() {
    driver::run(make_input, |edges: &Vec<(u32, u32)>| handler(edges))
}
