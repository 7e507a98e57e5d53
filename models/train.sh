#!/usr/bin/env bash
# Reproduce the bundled models with the project's own CLI (see docs/training.md).
#   bash models/train.sh data                 # 64 px datasets for the styles and the skeleton GAN's print fonts
#   bash models/train.sh skeleton [MINUTES]   # pre-train the skeleton GAN   -> $RUNS/skeleton-gan
#   bash models/train.sh style ID [MINUTES] [extra flags]   # SE-GAN for one style, resumable in budgets
#   bash models/train.sh ship ID              # copy the inference files of a run into models/ID
# On 2 CPU cores training happens in budgets: run the same `style` line again and it resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
SEGAN=${SEGAN:-.venv/bin/segan}
SHARED=${SHARED:-../shared/fonts}
RUNS=${RUNS:-../runs}
SIZE=${SIZE:-64}
PRESET=${PRESET:-cpu-64}

font_of() {
  case "$1" in
    ma-shan-zheng) echo "$SHARED/brush/MaShanZheng-Regular.ttf" ;;
    zhi-mang-xing) echo "$SHARED/brush/ZhiMangXing-Regular.ttf" ;;
    liu-jian-mao-cao) echo "$SHARED/brush/LiuJianMaoCao-Regular.ttf" ;;
    long-cang) echo "$SHARED/brush/LongCang-Regular.ttf" ;;
    kouzan-mouhitsu) echo "$SHARED/brush/KouzanMouhitsu.ttf" ;;
    kouzan-mouhitsu-gyosho) echo "$SHARED/brush/KouzanMouhitsu-Gyosho.ttf" ;;
    song) echo "$SHARED/print/ARPL-SungtiL-GB.ttf" ;;
    hei) echo "$SHARED/print/WenQuanYiMicroHei.ttf" ;;
    wenkai) echo "$SHARED/print/LXGWWenKai-Regular.ttf" ;;
    *) echo "unknown style $1" >&2; exit 2 ;;
  esac
}

case "${1:-}" in
  data)
    for id in ma-shan-zheng zhi-mang-xing liu-jian-mao-cao long-cang kouzan-mouhitsu kouzan-mouhitsu-gyosho song hei wenkai; do
      [ -f "$RUNS/data/$id-$SIZE/manifest.json" ] && continue
      "$SEGAN" data build --target "$(font_of "$id")" --charset gb2312 --size "$SIZE" --out "$RUNS/data/$id-$SIZE" --quiet
    done ;;
  skeleton)
    minutes=${2:-15}
    resume=(); [ -f "$RUNS/skeleton-gan/train_state.json" ] && resume=(--resume)
    # glyph -> skeleton pairs from every font: the Kai source (in every dataset) and each dataset's target
    "$SEGAN" train skeleton --preset "$PRESET" --out "$RUNS/skeleton-gan" --time-budget "$minutes" --max-steps 100000 \
      --data "$RUNS"/data/{ma-shan-zheng,zhi-mang-xing,liu-jian-mao-cao,long-cang,song,hei,wenkai}-"$SIZE" "${resume[@]}" ;;
  style)
    id=$2; minutes=${3:-60}; shift 3 || shift $#
    resume=(); [ -f "$RUNS/$id/train_state.json" ] && resume=(--resume)
    "$SEGAN" train style --preset "$PRESET" --data "$RUNS/data/$id-$SIZE" --skeleton "$RUNS/skeleton-gan" \
      --out "$RUNS/$id" --time-budget "$minutes" "${resume[@]}" "$@" ;;
  ship)
    id=$2
    mkdir -p "models/$id"
    cp "$RUNS/$id/weights.safetensors" "$RUNS/$id/config.json" "models/$id/" ;;
  *)
    sed -n 2,8p "$0"; exit 2 ;;
esac
