//! Builds the C parts of the capture tool into `OUT_DIR`:
//! - `valgrind-lib/`: the `memento` Valgrind tool and its preload beside
//!   links to the stock Valgrind files (a folder for `VALGRIND_LIB`);
//! - `libmemento_roi.so`: the ROI and invocation markers;
//! - `libmemento_shim.so`: the `--alloc-only` preload shim;
//! - `memento_roi.node`: the markers for Node, when Node's headers exist.
//!
//! Missing Valgrind headers or archives do not fail the build: the reason
//! is passed to the crate, which reports it when a capture needs the tool.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const C_SOURCES: &[&str] = &[
    "c/mtrace_enc.h",
    "c/mtrace_ids.h",
    "c/records.h",
    "c/records_loop.h",
    "c/records_vec.h",
    "c/memento_requests.h",
    "c/memento_roi.h",
    "c/shim_marker.h",
    "c/tool_main.c",
    "c/preload.c",
    "c/roi.c",
    "c/roi_node.c",
    "c/shim.c",
];

fn env_path(name: &str, default: &str) -> PathBuf {
    println!("cargo:rerun-if-env-changed={name}");
    env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} failed: {}",
            command,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

struct Valgrind {
    include: PathBuf,
    archives: PathBuf,
    stock: PathBuf,
}

impl Valgrind {
    fn find() -> Result<Valgrind, String> {
        let v = Valgrind {
            include: env_path("MEMENTO_VALGRIND_INCLUDE", "/usr/include/valgrind"),
            archives: env_path(
                "MEMENTO_VALGRIND_ARCHIVES",
                "/usr/lib/x86_64-linux-gnu/valgrind",
            ),
            stock: env_path("MEMENTO_VALGRIND_STOCK_LIB", "/usr/libexec/valgrind"),
        };
        let needed = [
            v.include.join("pub_tool_basics.h"),
            v.include.join("valgrind.h"),
            v.archives.join("libcoregrind-amd64-linux.a"),
            v.archives.join("libvex-amd64-linux.a"),
            v.archives.join("libgcc-sup-amd64-linux.a"),
            v.stock.join("vgpreload_core-amd64-linux.so"),
        ];
        for path in &needed {
            if !path.exists() {
                return Err(format!(
                    "{} is missing: install Valgrind's tool headers and archives \
                     (Debian: apt-get install valgrind)",
                    path.display()
                ));
            }
        }
        Ok(v)
    }
}

fn build_tool(cc: &Path, v: &Valgrind, out: &Path) -> Result<PathBuf, String> {
    let lib = out.join("valgrind-lib");
    if lib.exists() {
        std::fs::remove_dir_all(&lib).map_err(|e| e.to_string())?;
    }
    std::fs::create_dir_all(&lib).map_err(|e| e.to_string())?;
    let object = out.join("tool_main.o");
    run(Command::new(cc)
        .args(["-O2", "-c", "c/tool_main.c", "-I"])
        .arg(&v.include)
        .args([
            "-DVGA_amd64=1",
            "-DVGO_linux=1",
            "-DVGP_amd64_linux=1",
            "-DVGPV_amd64_linux_vanilla=1",
            "-fno-stack-protector",
            "-fno-builtin",
            "-fno-strict-aliasing",
            "-o",
        ])
        .arg(&object))?;
    run(Command::new(cc)
        .arg("-o")
        .arg(lib.join("memento-amd64-linux"))
        .arg(&object)
        .args([
            "-static",
            "-nodefaultlibs",
            "-nostartfiles",
            "-u",
            "_start",
            "-Wl,--build-id=none",
            "-Wl,-Ttext-segment=0x58000000",
        ])
        .arg(v.archives.join("libcoregrind-amd64-linux.a"))
        .arg(v.archives.join("libvex-amd64-linux.a"))
        .arg(v.archives.join("libgcc-sup-amd64-linux.a"))
        .arg("-lgcc"))?;
    run(Command::new(cc)
        .args(["-O2", "-fPIC", "-shared", "-fno-stack-protector", "-I"])
        .arg(&v.include)
        .arg("-o")
        .arg(lib.join("vgpreload_memento-amd64-linux.so"))
        .arg("c/preload.c"))?;
    let stock = std::fs::read_dir(&v.stock).map_err(|e| e.to_string())?;
    for entry in stock {
        let entry = entry.map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink(entry.path(), lib.join(entry.file_name()))
            .map_err(|e| e.to_string())?;
    }
    Ok(lib)
}

/// `memento_roi.node`, when Node's headers are installed (else Node
/// programs cannot mark their ROI, which `artifacts::node_addon` reports).
fn node_addon(cc: &Path, v: &Valgrind, out: &Path) {
    let headers = env_path("MEMENTO_NODE_INCLUDE", "/usr/include/node");
    let addon = out.join("memento_roi.node");
    let built = headers.join("node_api.h").exists()
        && run(Command::new(cc)
            .args(["-O2", "-fPIC", "-shared", "-I"])
            .arg(&headers)
            .arg("-I")
            .arg(&v.include)
            .arg("-o")
            .arg(&addon)
            .args(["c/roi_node.c", "c/roi.c"]))
        .is_ok();
    let path = if built {
        addon.display().to_string()
    } else {
        String::new()
    };
    println!("cargo:rustc-env=MEMENTO_CAPTURE_NODE_ADDON={path}");
}

fn main() {
    for source in C_SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let cc = cc::Build::new().get_compiler().path().to_path_buf();

    let shim = out.join("libmemento_shim.so");
    if let Err(e) = run(Command::new(&cc)
        .args(["-O2", "-fPIC", "-shared", "-pthread", "-o"])
        .arg(&shim)
        .arg("c/shim.c")
        .arg("-ldl"))
    {
        panic!("building the --alloc-only shim: {e}");
    }
    println!("cargo:rustc-env=MEMENTO_CAPTURE_SHIM={}", shim.display());

    let (tool, roi) = match Valgrind::find() {
        Ok(v) => {
            let roi = out.join("libmemento_roi.so");
            run(Command::new(&cc)
                .args(["-O2", "-fPIC", "-shared", "-I"])
                .arg(&v.include)
                .arg("-o")
                .arg(&roi)
                .arg("c/roi.c"))
            .unwrap_or_else(|e| panic!("building libmemento_roi.so: {e}"));
            node_addon(&cc, &v, &out);
            let tool = build_tool(&cc, &v, &out)
                .unwrap_or_else(|e| panic!("building the memento Valgrind tool: {e}"));
            (Ok(tool), Ok(roi))
        }
        Err(reason) => {
            println!("cargo:rustc-env=MEMENTO_CAPTURE_NODE_ADDON=");
            println!("cargo:warning=memento capture (Valgrind mode) unavailable: {reason}");
            (Err(reason.clone()), Err(reason))
        }
    };
    let mut missing = String::new();
    for (name, value) in [("VALGRIND_LIB", tool), ("ROI_LIB", roi)] {
        match value {
            Ok(path) => println!("cargo:rustc-env=MEMENTO_CAPTURE_{name}={}", path.display()),
            Err(reason) => {
                println!("cargo:rustc-env=MEMENTO_CAPTURE_{name}=");
                missing = reason;
            }
        }
    }
    println!("cargo:rustc-env=MEMENTO_CAPTURE_MISSING={missing}");
}
