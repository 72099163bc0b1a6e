#!/bin/bash
# t/chaos.sh against the province that admits a repeated 2401 again and
# words every refusal otherwise (etc/sim/dialect-admit.conf): the agent
# must resolve its lost answers by asking, not by reading texts.
exec "${top_srcdir:-$(dirname "$0")/..}/t/chaos.sh" --dialect admit "$@"
