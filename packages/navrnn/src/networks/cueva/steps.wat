;; The CuevaRNN's element-wise work of one time step (bptt.ts's loops) in WebAssembly: the same
;; float64 arithmetic in the same order, two units at a time (f64x2), so the results are the same
;; bit for bit as the TypeScript loops'. Arrays are float32 in the memory of the tensor package's
;; WebAssembly kernels (imported), so the matrix products and these loops share one working set.
;; For the paper's two inputs and an even number of units. Rate functions (`kind`): 0 tanh by the
;; rational approximation of bptt.ts's fastTanh, 1 relu, 2 rectified tanh. `npm run build:wasm`
;; assembles this file into steps.wasm.ts.
(module
  (import "env" "memory" (memory 1))

  ;; Forward, for every trial r < B (rows of N units):
  ;;   s = pre + b + i_0 W_in[0] + i_1 W_in[1] (+ xi);  x = (1-a) x + a s;  u = f(x);  y = u W_out
  ;; x (updated), u and y ([B][2]) are written; returns sr plus the sum of u^2, added unit by unit.
  ;; Pointers are byte offsets of this step's rows: inp [B][2], noise [B][N] (read when hasNoise),
  ;; u [B][N], y [B][2].
  (func (export "forward_step")
    (param $pre i32) (param $bias i32) (param $win i32) (param $inp i32) (param $noise i32) (param $hasNoise i32)
    (param $x i32) (param $u i32) (param $wout i32) (param $y i32)
    (param $B i32) (param $N i32) (param $a f64) (param $kind i32) (param $sr f64)
    (result f64)
    (local $r i32) (local $j i32) (local $jo i32) (local $nb i32)
    (local $s v128) (local $xv v128) (local $uv v128) (local $x2 v128) (local $p v128) (local $q v128)
    (local $ka v128) (local $aa v128) (local $i0 v128) (local $i1 v128)
    (local $y0 f64) (local $y1 f64) (local $u0 f64) (local $u1 f64)
    (local.set $ka (f64x2.splat (f64.sub (f64.const 1) (local.get $a))))
    (local.set $aa (f64x2.splat (local.get $a)))
    (local.set $nb (i32.shl (local.get $N) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $i0 (f64x2.splat (f64.promote_f32 (f32.load (local.get $inp)))))
      (local.set $i1 (f64x2.splat (f64.promote_f32 (f32.load offset=4 (local.get $inp)))))
      (local.set $y0 (f64.const 0))
      (local.set $y1 (f64.const 0))
      (local.set $j (i32.const 0))
      (block $pend (loop $pairs
        (br_if $pend (i32.ge_u (local.get $j) (local.get $nb)))
        (local.set $s (f64x2.add
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $pre) (local.get $j))))
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $bias) (local.get $j))))))
        (local.set $s (f64x2.add (local.get $s) (f64x2.mul (local.get $i0)
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $win) (local.get $j)))))))
        (local.set $s (f64x2.add (local.get $s) (f64x2.mul (local.get $i1)
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (i32.add (local.get $win) (local.get $nb)) (local.get $j)))))))
        (if (local.get $hasNoise) (then
          (local.set $s (f64x2.add (local.get $s)
            (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $noise) (local.get $j))))))))
        (local.set $xv (f64x2.add
          (f64x2.mul (local.get $ka) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $x) (local.get $j)))))
          (f64x2.mul (local.get $aa) (local.get $s))))
        (v128.store64_lane 0 (i32.add (local.get $x) (local.get $j)) (f32x4.demote_f64x2_zero (local.get $xv)))
        (if (i32.eq (local.get $kind) (i32.const 1))
          (then (local.set $uv (v128.bitselect (local.get $xv) (v128.const i64x2 0 0) (f64x2.gt (local.get $xv) (v128.const i64x2 0 0)))))
          (else
            (local.set $p (f64x2.pmin (f64x2.pmax (local.get $xv) (f64x2.splat (f64.const -7.90531110763549805))) (f64x2.splat (f64.const 7.90531110763549805))))
            (local.set $x2 (f64x2.mul (local.get $p) (local.get $p)))
            (local.set $q (f64x2.add (f64x2.mul (f64x2.splat (f64.const 1.19825839466702e-6)) (local.get $x2)) (f64x2.splat (f64.const 1.18534705686654e-4))))
            (local.set $q (f64x2.add (f64x2.mul (local.get $q) (local.get $x2)) (f64x2.splat (f64.const 2.2684346324390e-3))))
            (local.set $q (f64x2.add (f64x2.mul (local.get $q) (local.get $x2)) (f64x2.splat (f64.const 4.89352518554385e-3))))
            (local.set $uv (f64x2.add (f64x2.mul (f64x2.splat (f64.const -2.76076847742355e-16)) (local.get $x2)) (f64x2.splat (f64.const 2.00018790482477e-13))))
            (local.set $uv (f64x2.add (f64x2.mul (local.get $uv) (local.get $x2)) (f64x2.splat (f64.const -8.60467152213735e-11))))
            (local.set $uv (f64x2.add (f64x2.mul (local.get $uv) (local.get $x2)) (f64x2.splat (f64.const 5.12229709037114e-8))))
            (local.set $uv (f64x2.add (f64x2.mul (local.get $uv) (local.get $x2)) (f64x2.splat (f64.const 1.48572235717979e-5))))
            (local.set $uv (f64x2.add (f64x2.mul (local.get $uv) (local.get $x2)) (f64x2.splat (f64.const 6.37261928875436e-4))))
            (local.set $uv (f64x2.add (f64x2.mul (local.get $uv) (local.get $x2)) (f64x2.splat (f64.const 4.89352455891786e-3))))
            (local.set $uv (f64x2.div (f64x2.mul (local.get $uv) (local.get $p)) (local.get $q)))
            (if (local.get $kind) (then
              (local.set $uv (v128.and (local.get $uv) (f64x2.gt (local.get $xv) (v128.const i64x2 0 0))))))))
        (v128.store64_lane 0 (i32.add (local.get $u) (local.get $j)) (f32x4.demote_f64x2_zero (local.get $uv)))
        (local.set $u0 (f64x2.extract_lane 0 (local.get $uv)))
        (local.set $u1 (f64x2.extract_lane 1 (local.get $uv)))
        (local.set $sr (f64.add (f64.add (local.get $sr) (f64.mul (local.get $u0) (local.get $u0))) (f64.mul (local.get $u1) (local.get $u1))))
        (local.set $jo (i32.add (local.get $wout) (i32.shl (local.get $j) (i32.const 1))))
        (local.set $y0 (f64.add (f64.add (local.get $y0) (f64.mul (local.get $u0) (f64.promote_f32 (f32.load (local.get $jo)))))
                                (f64.mul (local.get $u1) (f64.promote_f32 (f32.load offset=8 (local.get $jo))))))
        (local.set $y1 (f64.add (f64.add (local.get $y1) (f64.mul (local.get $u0) (f64.promote_f32 (f32.load offset=4 (local.get $jo)))))
                                (f64.mul (local.get $u1) (f64.promote_f32 (f32.load offset=12 (local.get $jo))))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $pairs)))
      (f32.store (local.get $y) (f32.demote_f64 (local.get $y0)))
      (f32.store offset=4 (local.get $y) (f32.demote_f64 (local.get $y1)))
      (local.set $y (i32.add (local.get $y) (i32.const 8)))
      (local.set $inp (i32.add (local.get $inp) (i32.const 8)))
      (local.set $pre (i32.add (local.get $pre) (local.get $nb)))
      (local.set $x (i32.add (local.get $x) (local.get $nb)))
      (local.set $u (i32.add (local.get $u) (local.get $nb)))
      (if (local.get $hasNoise) (then (local.set $noise (i32.add (local.get $noise) (local.get $nb)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows)))
    (local.get $sr))
;; Reverse, for every trial r < B, with rec = g_{t+1} W_rec^T:
  ;;   du = dy W_out^T + uScale (du_in or u) + rec;  dx = du f'(u) + (1-a) dx;  g = a dx
  ;; and the sums db += g, dW_out += u^T dy, dW_in += i^T g, each rounded to float32 per trial as
  ;; the TypeScript loop's float32 accumulators are.
  (func (export "backward_step")
    (param $u i32) (param $du i32) (param $hasDU i32) (param $rec i32) (param $dy i32) (param $inp i32)
    (param $wout i32) (param $dx i32) (param $g i32) (param $gb i32) (param $gwin i32) (param $gwout i32)
    (param $B i32) (param $N i32) (param $a f64) (param $uScale f64) (param $kind i32)
    (local $r i32) (local $j i32) (local $nb i32) (local $jo i32) (local $w4 v128)
    (local $uv v128) (local $dv v128) (local $sl v128) (local $dxv v128) (local $gv v128)
    (local $ka v128) (local $aa v128) (local $us v128) (local $d0 v128) (local $d1 v128) (local $dd v128)
    (local $i0 v128) (local $i1 v128) (local $pos v128)
    (local.set $ka (f64x2.splat (f64.sub (f64.const 1) (local.get $a))))
    (local.set $aa (f64x2.splat (local.get $a)))
    (local.set $us (f64x2.splat (local.get $uScale)))
    (local.set $nb (i32.shl (local.get $N) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $dd (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $dy))))
      (local.set $d0 (f64x2.splat (f64x2.extract_lane 0 (local.get $dd))))
      (local.set $d1 (f64x2.splat (f64x2.extract_lane 1 (local.get $dd))))
      (local.set $i0 (f64x2.splat (f64.promote_f32 (f32.load (local.get $inp)))))
      (local.set $i1 (f64x2.splat (f64.promote_f32 (f32.load offset=4 (local.get $inp)))))
      (local.set $j (i32.const 0))
      (block $pend (loop $pairs
        (br_if $pend (i32.ge_u (local.get $j) (local.get $nb)))
        (local.set $uv (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $u) (local.get $j)))))
        ;; W_out rows j and j+1: [w0_j, w1_j, w0_j+1, w1_j+1] -> [w0_j, w0_j+1] and [w1_j, w1_j+1]
        (local.set $jo (i32.add (local.get $wout) (i32.shl (local.get $j) (i32.const 1))))
        (local.set $w4 (v128.load (local.get $jo)))
        (local.set $dv (f64x2.add
          (f64x2.mul (local.get $d0) (f64x2.promote_low_f32x4 (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (local.get $w4) (local.get $w4))))
          (f64x2.mul (local.get $d1) (f64x2.promote_low_f32x4 (i8x16.shuffle 4 5 6 7 12 13 14 15 4 5 6 7 12 13 14 15 (local.get $w4) (local.get $w4))))))
        (local.set $dv (f64x2.add (local.get $dv) (f64x2.mul (local.get $us)
          (if (result v128) (local.get $hasDU)
            (then (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $du) (local.get $j)))))
            (else (local.get $uv))))))
        (local.set $dv (f64x2.add (local.get $dv) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $rec) (local.get $j))))))
        (local.set $pos (f64x2.gt (local.get $uv) (v128.const i64x2 0 0)))
        (local.set $sl (f64x2.sub (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $uv) (local.get $uv))))
        (if (i32.eq (local.get $kind) (i32.const 1))
          (then (local.set $sl (v128.and (f64x2.splat (f64.const 1)) (local.get $pos))))
          (else (if (i32.eq (local.get $kind) (i32.const 2))
            (then (local.set $sl (v128.and (local.get $sl) (local.get $pos)))))))
        (local.set $dxv (f64x2.add (f64x2.mul (local.get $dv) (local.get $sl))
          (f64x2.mul (local.get $ka) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $dx) (local.get $j)))))))
        (v128.store64_lane 0 (i32.add (local.get $dx) (local.get $j)) (f32x4.demote_f64x2_zero (local.get $dxv)))
        (local.set $gv (f64x2.mul (local.get $aa) (local.get $dxv)))
        (v128.store64_lane 0 (i32.add (local.get $g) (local.get $j)) (f32x4.demote_f64x2_zero (local.get $gv)))
        (v128.store64_lane 0 (i32.add (local.get $gb) (local.get $j)) (f32x4.demote_f64x2_zero (f64x2.add
          (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $gb) (local.get $j)))) (local.get $gv))))
        ;; dW_out rows j, j+1 += u_j [d0, d1], u_j+1 [d0, d1]
        (local.set $jo (i32.add (local.get $gwout) (i32.shl (local.get $j) (i32.const 1))))
        (v128.store64_lane 0 (local.get $jo) (f32x4.demote_f64x2_zero (f64x2.add
          (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $jo)))
          (f64x2.mul (f64x2.splat (f64x2.extract_lane 0 (local.get $uv))) (local.get $dd)))))
        (v128.store64_lane offset=8 0 (local.get $jo) (f32x4.demote_f64x2_zero (f64x2.add
          (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $jo)))
          (f64x2.mul (f64x2.splat (f64x2.extract_lane 1 (local.get $uv))) (local.get $dd)))))
        (local.set $jo (i32.add (local.get $gwin) (local.get $j)))
        (v128.store64_lane 0 (local.get $jo) (f32x4.demote_f64x2_zero (f64x2.add
          (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $jo))) (f64x2.mul (local.get $i0) (local.get $gv)))))
        (local.set $jo (i32.add (local.get $jo) (local.get $nb)))
        (v128.store64_lane 0 (local.get $jo) (f32x4.demote_f64x2_zero (f64x2.add
          (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $jo))) (f64x2.mul (local.get $i1) (local.get $gv)))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $pairs)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 8)))
      (local.set $inp (i32.add (local.get $inp) (i32.const 8)))
      (local.set $u (i32.add (local.get $u) (local.get $nb)))
      (local.set $du (i32.add (local.get $du) (local.get $nb)))
      (local.set $rec (i32.add (local.get $rec) (local.get $nb)))
      (local.set $dx (i32.add (local.get $dx) (local.get $nb)))
      (local.set $g (i32.add (local.get $g) (local.get $nb)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows)))
  )
)
