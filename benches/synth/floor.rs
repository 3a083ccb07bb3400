//! The serialisation floor the synth is measured against: as many bytes of pretty JSON as the
//! synth writes, from typed serde-derive structs shaped like resource blocks, with
//! `serde_json::to_writer_pretty` into three files, one thread, a fresh process per run. Only
//! building plain structs and serialising them: what the synth costs above it is modelling,
//! validating and lowering. Measured in the same run as the synth, so a faster or slower
//! machine moves both.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::ser::SerializeMap;
use serde::Serialize;

/// `{"resource": {type: {label: block}}}`, the maps serialised straight from vectors: no map
/// is built only to be written.
struct Document {
    resource: Vec<(&'static str, Vec<(String, Block)>)>,
}

impl Serialize for Document {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Blocks<'a>(&'a [(String, Block)]);
        impl Serialize for Blocks<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|(label, block)| (label, block)))
            }
        }
        struct Types<'a>(&'a [(&'static str, Vec<(String, Block)>)]);
        impl Serialize for Types<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|(kind, blocks)| (kind, Blocks(blocks))))
            }
        }
        let mut document = serializer.serialize_map(Some(1))?;
        document.serialize_entry("resource", &Types(&self.resource))?;
        document.end()
    }
}

/// Roughly the mix of a resource block: names, a reference, numbers, a flag, a list, a nested
/// object and tags.
#[derive(Serialize)]
struct Block {
    name: String,
    description: String,
    load_balancer_arn: String,
    port: u16,
    protocol: &'static str,
    enabled: bool,
    subnets: Vec<String>,
    health_check: HealthCheck,
    tags: Tags,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Tags {
    environment: String,
    service: String,
}

#[derive(Serialize)]
struct HealthCheck {
    path: String,
    interval: u32,
    timeout: u32,
    healthy_threshold: u32,
    matcher: &'static str,
}

const TYPES: [&str; 6] = [
    "aws_lb",
    "aws_lb_listener",
    "aws_lb_target_group",
    "aws_ecs_service",
    "aws_iam_role",
    "aws_cloudwatch_metric_alarm",
];

fn block(file: usize, index: usize) -> Block {
    let label = format!("svc_{index:04}");
    Block {
        name: format!("env{file}-{label}"),
        description: format!("Block {index} of file {file}, shaped like a resource"),
        load_balancer_arn: format!("${{aws_lb.{label}.arn}}"),
        port: 8080,
        protocol: "HTTP",
        enabled: index.is_multiple_of(2),
        subnets: vec!["${var.subnet_ids[0]}".into(), "${var.subnet_ids[1]}".into()],
        health_check: HealthCheck {
            path: "/healthz".into(),
            interval: 15,
            timeout: 5,
            healthy_threshold: 3,
            matcher: "200-399",
        },
        tags: Tags {
            environment: format!("env{file}"),
            service: label,
        },
    }
}

/// Writes three files of about `bytes_per_file` bytes each into `out`; returns the bytes
/// written.
pub fn child(bytes_per_file: u64, out: &Path) -> u64 {
    fs::create_dir_all(out).expect("floor output directory");
    // One block, as deep in the file as the real ones (three levels, six more spaces a line),
    // behind its `"svc_00000": ` key and the `,\n` before it.
    let sample = serde_json::to_vec_pretty(&block(0, 0)).expect("plain data");
    let lines = sample.iter().filter(|&&byte| byte == b'\n').count() as u64 + 1;
    let per_block = sample.len() as u64 + 6 * lines + 15;
    let blocks = (bytes_per_file / per_block).max(1) as usize;
    let mut written = 0;
    for file in 0..3 {
        let mut resource: Vec<(&'static str, Vec<(String, Block)>)> =
            TYPES.iter().map(|kind| (*kind, Vec::new())).collect();
        for index in 0..blocks {
            resource[index % TYPES.len()]
                .1
                .push((format!("svc_{index:05}"), block(file, index)));
        }
        let path = out.join(format!("env{file}.tf.json"));
        let mut sink = BufWriter::with_capacity(
            64 * 1024,
            fs::File::create(&path).expect("floor output file"),
        );
        let document = Document { resource };
        serde_json::to_writer_pretty(&mut sink, &document).expect("written");
        sink.flush().expect("flushed");
        // The process ends here; freeing it all first is not serialisation.
        std::mem::forget(document);
        written += fs::metadata(&path).expect("floor output file").len();
    }
    written
}
