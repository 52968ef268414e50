//! The events of a trace, as the reader yields them and the writer takes them.
//!
//! Glossary:
//! - *block*: a run of instructions executed in order, given by its start
//!   address, byte length and instruction count (what the L1I sees);
//! - *gap*: instructions retired without known addresses (importers whose
//!   input carries no instruction addresses);
//! - *site*: the return address of the call into the allocator;
//! - *level*: which allocator served a request (libc, pymalloc, ...).

use crate::error::InvalidValue;

/// One event of a trace. Addresses are virtual addresses of the traced
/// process; sizes are in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A block of `count` instructions at `addr..addr+len`.
    Block {
        /// Address of the first instruction.
        addr: u64,
        /// Length of the block in bytes.
        len: u32,
        /// Number of instructions in the block (at least 1).
        count: u32,
    },
    /// `count` instructions retired whose addresses are not known.
    Gap {
        /// Number of instructions (at least 1).
        count: u64,
    },
    /// A data load.
    Load {
        /// Address of the first byte read.
        addr: u64,
        /// Bytes read (at least 1).
        size: u32,
    },
    /// A data store.
    Store {
        /// Address of the first byte written.
        addr: u64,
        /// Bytes written (at least 1).
        size: u32,
    },
    /// An allocation returned `addr` (0 when the allocator failed).
    Alloc(Alloc),
    /// A block was freed.
    Free(Free),
    /// A block was resized, possibly moving.
    Realloc(Realloc),
    /// The program entered an allocator entry point: what follows, up to the
    /// matching [`Event::AllocExit`], is the allocator's own work.
    AllocEnter {
        /// The entry point entered.
        func: AllocFn,
    },
    /// The program left the allocator entry point entered last.
    AllocExit,
    /// An `mmap` (or `mremap` target) created a mapping.
    Mmap {
        /// Start of the mapping.
        addr: u64,
        /// Length in bytes.
        len: u64,
        /// `PROT_*` bits.
        prot: u32,
        /// `MAP_*` bits.
        flags: u32,
    },
    /// A `munmap` removed a range.
    Munmap {
        /// Start of the range.
        addr: u64,
        /// Length in bytes.
        len: u64,
    },
    /// `brk` moved the program break.
    Brk {
        /// The break before the call.
        old: u64,
        /// The break after the call.
        new: u64,
    },
    /// An `madvise` on a range.
    Madvise {
        /// Start of the range.
        addr: u64,
        /// Length in bytes.
        len: u64,
        /// The `MADV_*` advice.
        advice: u32,
    },
    /// An `mremap` moved or resized a mapping.
    Mremap {
        /// Old start.
        old_addr: u64,
        /// Old length.
        old_len: u64,
        /// New start.
        new_addr: u64,
        /// New length.
        new_len: u64,
    },
    /// The events that follow belong to thread `tid`.
    Thread {
        /// Thread id as the capture saw it.
        tid: u32,
    },
    /// Start of the region of interest.
    RoiBegin,
    /// End of the region of interest.
    RoiEnd,
    /// A function invocation begins.
    InvocationBegin {
        /// Invocation number, counted by the runtime.
        id: u64,
    },
    /// A function invocation ends.
    InvocationEnd {
        /// Invocation number, as given at its begin.
        id: u64,
    },
    /// The load or store that comes next (in this thread) computed its
    /// address from the value of the load `distance` loads back in this
    /// thread's stream (1: the load just before it). Loads and stores
    /// without one depend on no load the producer saw (format version 2;
    /// see `FORMAT.md`, "Dependences").
    Dep {
        /// Loads back to the producer, 1..=[`MAX_DEP_DISTANCE`].
        distance: u8,
    },
}

/// The farthest producer a [`Event::Dep`] names: a load more than this many
/// loads back is recorded as no dependence (a core's load queue holds far
/// fewer, so it has long returned its data).
pub const MAX_DEP_DISTANCE: u8 = 255;

/// An allocation: `malloc`, `calloc`, the aligned family, `operator new`,
/// or a runtime's small-object allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alloc {
    /// The entry point called.
    pub func: AllocFn,
    /// The allocator that served the request.
    pub level: AllocLevel,
    /// Requested bytes (for `calloc`, `nmemb * size`).
    pub size: u64,
    /// Requested alignment, 0 when the call takes none.
    pub align: u64,
    /// Returned address, 0 on failure.
    pub addr: u64,
    /// Call site: the return address into the caller, 0 when unknown.
    pub site: u64,
}

/// A free: `free`, `operator delete`, or a runtime's small-object free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Free {
    /// The entry point called.
    pub func: AllocFn,
    /// The allocator that took the block back.
    pub level: AllocLevel,
    /// The freed address.
    pub addr: u64,
    /// Call site: the return address into the caller, 0 when unknown.
    pub site: u64,
}

/// A resize: `realloc` and its runtime counterparts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Realloc {
    /// The entry point called.
    pub func: AllocFn,
    /// The allocator that served the request.
    pub level: AllocLevel,
    /// The block passed in (0 behaves as an allocation).
    pub old_addr: u64,
    /// The block returned (0 on failure, or when `size` was 0).
    pub new_addr: u64,
    /// Requested bytes.
    pub size: u64,
    /// Call site: the return address into the caller, 0 when unknown.
    pub site: u64,
}

macro_rules! byte_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)*
        }

        impl $name {
            /// Every value, in encoding order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The value's name as reports print it.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// Parses a name as [`Self::name`] prints it.
            pub fn from_name(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl TryFrom<u8> for $name {
            type Error = InvalidValue;
            fn try_from(byte: u8) -> Result<Self, InvalidValue> {
                match byte {
                    $($value => Ok($name::$variant),)*
                    _ => Err(InvalidValue { what: $what, value: u64::from(byte) }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

byte_enum! {
    /// The allocator entry point a program called.
    AllocFn, "allocator function" {
        /// `malloc`
        Malloc = 1 => "malloc",
        /// `calloc`
        Calloc = 2 => "calloc",
        /// `realloc` (and `reallocarray`)
        Realloc = 3 => "realloc",
        /// `free`
        Free = 4 => "free",
        /// `posix_memalign`
        PosixMemalign = 5 => "posix_memalign",
        /// `aligned_alloc`
        AlignedAlloc = 6 => "aligned_alloc",
        /// `memalign`
        Memalign = 7 => "memalign",
        /// `valloc`
        Valloc = 8 => "valloc",
        /// `pvalloc`
        Pvalloc = 9 => "pvalloc",
        /// C++ `operator new` (any overload)
        New = 10 => "operator new",
        /// C++ `operator new[]` (any overload)
        NewArray = 11 => "operator new[]",
        /// C++ `operator delete` (any overload)
        Delete = 12 => "operator delete",
        /// C++ `operator delete[]` (any overload)
        DeleteArray = 13 => "operator delete[]",
        /// CPython `PyObject_Malloc`
        PyObjectMalloc = 14 => "PyObject_Malloc",
        /// CPython `PyObject_Calloc`
        PyObjectCalloc = 15 => "PyObject_Calloc",
        /// CPython `PyObject_Realloc`
        PyObjectRealloc = 16 => "PyObject_Realloc",
        /// CPython `PyObject_Free`
        PyObjectFree = 17 => "PyObject_Free",
        /// CPython `PyMem_Malloc` / `PyMem_RawMalloc`
        PyMemMalloc = 18 => "PyMem_Malloc",
        /// CPython `PyMem_Calloc` / `PyMem_RawCalloc`
        PyMemCalloc = 19 => "PyMem_Calloc",
        /// CPython `PyMem_Realloc` / `PyMem_RawRealloc`
        PyMemRealloc = 20 => "PyMem_Realloc",
        /// CPython `PyMem_Free` / `PyMem_RawFree`
        PyMemFree = 21 => "PyMem_Free",
        /// jemalloc `mallocx`
        Mallocx = 22 => "mallocx",
        /// jemalloc `rallocx`
        Rallocx = 23 => "rallocx",
        /// jemalloc `dallocx` / `sdallocx`
        Dallocx = 24 => "dallocx",
    }
}

byte_enum! {
    /// Which allocator served a request.
    AllocLevel, "allocator level" {
        /// Not recorded (importers, or a capture that could not tell).
        Unknown = 0 => "unknown",
        /// The C library's malloc.
        Libc = 1 => "libc",
        /// CPython's small-object allocator (requests of 512 B or less).
        Pymalloc = 2 => "pymalloc",
        /// jemalloc.
        Jemalloc = 3 => "jemalloc",
        /// Another runtime's own allocator.
        Runtime = 4 => "runtime",
        /// Memento's software allocator (`memento-alloc`).
        Memento = 5 => "memento",
    }
}

/// The kind of an event, without its fields: for counting and filtering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum EventKind {
    /// [`Event::Block`]
    Block,
    /// [`Event::Gap`]
    Gap,
    /// [`Event::Load`]
    Load,
    /// [`Event::Store`]
    Store,
    /// [`Event::Alloc`]
    Alloc,
    /// [`Event::Free`]
    Free,
    /// [`Event::Realloc`]
    Realloc,
    /// [`Event::AllocEnter`]
    AllocEnter,
    /// [`Event::AllocExit`]
    AllocExit,
    /// [`Event::Mmap`]
    Mmap,
    /// [`Event::Munmap`]
    Munmap,
    /// [`Event::Brk`]
    Brk,
    /// [`Event::Madvise`]
    Madvise,
    /// [`Event::Mremap`]
    Mremap,
    /// [`Event::Thread`]
    Thread,
    /// [`Event::RoiBegin`]
    RoiBegin,
    /// [`Event::RoiEnd`]
    RoiEnd,
    /// [`Event::InvocationBegin`]
    InvocationBegin,
    /// [`Event::InvocationEnd`]
    InvocationEnd,
    /// [`Event::Dep`]
    Dep,
}

impl EventKind {
    /// Number of kinds (for tables indexed by kind).
    pub const COUNT: usize = 20;

    /// Every kind, in declaration order.
    pub const ALL: [EventKind; EventKind::COUNT] = [
        EventKind::Block,
        EventKind::Gap,
        EventKind::Load,
        EventKind::Store,
        EventKind::Alloc,
        EventKind::Free,
        EventKind::Realloc,
        EventKind::AllocEnter,
        EventKind::AllocExit,
        EventKind::Mmap,
        EventKind::Munmap,
        EventKind::Brk,
        EventKind::Madvise,
        EventKind::Mremap,
        EventKind::Thread,
        EventKind::RoiBegin,
        EventKind::RoiEnd,
        EventKind::InvocationBegin,
        EventKind::InvocationEnd,
        EventKind::Dep,
    ];

    /// The kind's name as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Block => "block",
            EventKind::Gap => "gap",
            EventKind::Load => "load",
            EventKind::Store => "store",
            EventKind::Alloc => "alloc",
            EventKind::Free => "free",
            EventKind::Realloc => "realloc",
            EventKind::AllocEnter => "alloc-enter",
            EventKind::AllocExit => "alloc-exit",
            EventKind::Mmap => "mmap",
            EventKind::Munmap => "munmap",
            EventKind::Brk => "brk",
            EventKind::Madvise => "madvise",
            EventKind::Mremap => "mremap",
            EventKind::Thread => "thread",
            EventKind::RoiBegin => "roi-begin",
            EventKind::RoiEnd => "roi-end",
            EventKind::InvocationBegin => "invocation-begin",
            EventKind::InvocationEnd => "invocation-end",
            EventKind::Dep => "dep",
        }
    }
}

impl Event {
    /// A store (`store` true) or a load of `size` bytes at `addr`.
    #[inline(always)]
    pub fn access(store: bool, addr: u64, size: u32) -> Event {
        if store {
            Event::Store { addr, size }
        } else {
            Event::Load { addr, size }
        }
    }

    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Block { .. } => EventKind::Block,
            Event::Gap { .. } => EventKind::Gap,
            Event::Load { .. } => EventKind::Load,
            Event::Store { .. } => EventKind::Store,
            Event::Alloc(_) => EventKind::Alloc,
            Event::Free(_) => EventKind::Free,
            Event::Realloc(_) => EventKind::Realloc,
            Event::AllocEnter { .. } => EventKind::AllocEnter,
            Event::AllocExit => EventKind::AllocExit,
            Event::Mmap { .. } => EventKind::Mmap,
            Event::Munmap { .. } => EventKind::Munmap,
            Event::Brk { .. } => EventKind::Brk,
            Event::Madvise { .. } => EventKind::Madvise,
            Event::Mremap { .. } => EventKind::Mremap,
            Event::Thread { .. } => EventKind::Thread,
            Event::RoiBegin => EventKind::RoiBegin,
            Event::RoiEnd => EventKind::RoiEnd,
            Event::InvocationBegin { .. } => EventKind::InvocationBegin,
            Event::InvocationEnd { .. } => EventKind::InvocationEnd,
            Event::Dep { .. } => EventKind::Dep,
        }
    }

    /// Instructions this event retires (blocks and gaps; 0 for the rest).
    pub fn instructions(&self) -> u64 {
        match *self {
            Event::Block { count, .. } => u64::from(count),
            Event::Gap { count } => count,
            _ => 0,
        }
    }
    /// Whether this is an alloc, free or realloc event made by an allocator
    /// call inside another one (`operator new` -> `malloc`), given how many
    /// allocator brackets are open when it is seen. A call's event comes
    /// before the exit of its own bracket, so at depth 2 or more another
    /// call encloses it, and that outer call's event stands for the object.
    pub fn is_nested_allocation(&self, open_brackets: u64) -> bool {
        open_brackets > 1 && matches!(self, Event::Alloc(_) | Event::Free(_) | Event::Realloc(_))
    }

    /// A libc `malloc` of `size` bytes that returned `addr`, called from
    /// `site` (0 when unknown).
    pub fn malloc(addr: u64, size: u64, site: u64) -> Event {
        Event::Alloc(Alloc {
            func: AllocFn::Malloc,
            level: AllocLevel::Libc,
            size,
            align: 0,
            addr,
            site,
        })
    }

    /// A libc `free` of `addr`, called from `site` (0 when unknown).
    pub fn free(addr: u64, site: u64) -> Event {
        Event::Free(Free {
            func: AllocFn::Free,
            level: AllocLevel::Libc,
            addr,
            site,
        })
    }
}
