#!/usr/bin/env bash
# The Swift sources as .swift-format says (4 spaces, 150 columns, swift-format's rules but two: several
# variables in one `let`, and `;` between short statements on a line, are the house's style). Run by
# scripts/test.sh; `swift format -i -r -p Sources Tests Benchmarks/Sources Package.swift Benchmarks/Package.swift`
# fixes what it finds.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict --recursive --parallel Sources Tests Benchmarks/Sources Package.swift Benchmarks/Package.swift
