;; The PlaceCellRNN's element-wise loops in WebAssembly, bit for bit as the TypeScript ones: the
;; place cells' difference-of-softmaxes code of many positions (PlaceCells.codeInto), and the fused
;; BPTT's loops (placeCellPartial): the ReLU step forward with the inputs' drive, the softmax,
;; cross-entropy and logit gradient, the ReLU step back, the input weights' gradient. The codes and
;; the softmax spend their time in exp; $exp below is fdlibm's e_exp.c as V8's Math.exp has it,
;; step for step in f64, so it returns Math.exp's bits (a test compares them), and $exp2 takes two
;; at a time. Math.log is imported (once per row). `npm run build:wasm` assembles this file into
;; steps.wasm.ts.
(module
  (import "env" "memory" (memory 1))
  (import "env" "log" (func $log (param f64) (result f64)))

  ;; e^x (fdlibm: x = k ln2 + r, |r| <= 0.5 ln2; e^r by a rational approximation; times 2^k)
  (func $exp (param $x f64) (result f64)
    (local $hx i32) (local $xsb i32) (local $k i32) (local $hi f64) (local $lo f64)
    (local $t f64) (local $c f64) (local $y f64) (local $twopk f64)
    (local.set $hx (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32))))
    (local.set $xsb (i32.shr_u (local.get $hx) (i32.const 31)))
    (local.set $hx (i32.and (local.get $hx) (i32.const 0x7fffffff)))
    ;; |x| >= 709.78: NaN, infinities, overflow, underflow
    (if (i32.ge_u (local.get $hx) (i32.const 0x40862e42)) (then
      (if (i32.ge_u (local.get $hx) (i32.const 0x7ff00000)) (then
        (if (f64.ne (local.get $x) (local.get $x)) (then (return (f64.add (local.get $x) (local.get $x)))))
        (return (select (local.get $x) (f64.const 0) (i32.eqz (local.get $xsb))))))
      (if (f64.gt (local.get $x) (f64.const 0x1.62e42fefa39efp+9)) (then (return (f64.const inf))))
      (if (f64.lt (local.get $x) (f64.const -0x1.74910d52d3051p+9)) (then (return (f64.const 0))))))
    ;; argument reduction
    (if (i32.gt_u (local.get $hx) (i32.const 0x3fd62e42))
      (then
        (if (i32.lt_u (local.get $hx) (i32.const 0x3ff0a2b2))
          (then
            ;; V8 returns e itself for x = 1 (the steps below miss its last bit)
            (if (f64.eq (local.get $x) (f64.const 1)) (then (return (f64.const 0x1.5bf0a8b145769p+1))))
            (if (local.get $xsb)
              (then
                (local.set $hi (f64.sub (local.get $x) (f64.const -0x1.62e42fee00000p-1)))
                (local.set $lo (f64.const -0x1.a39ef35793c76p-33))
                (local.set $k (i32.const -1)))
              (else
                (local.set $hi (f64.sub (local.get $x) (f64.const 0x1.62e42fee00000p-1)))
                (local.set $lo (f64.const 0x1.a39ef35793c76p-33))
                (local.set $k (i32.const 1)))))
          (else
            (local.set $k (i32.trunc_f64_s (f64.add (f64.mul (f64.const 0x1.71547652b82fep+0) (local.get $x))
                                                    (select (f64.const -0.5) (f64.const 0.5) (local.get $xsb)))))
            (local.set $t (f64.convert_i32_s (local.get $k)))
            (local.set $hi (f64.sub (local.get $x) (f64.mul (local.get $t) (f64.const 0x1.62e42fee00000p-1))))
            (local.set $lo (f64.mul (local.get $t) (f64.const 0x1.a39ef35793c76p-33)))))
        (local.set $x (f64.sub (local.get $hi) (local.get $lo))))
      (else
        ;; |x| < 2^-28
        (if (i32.lt_u (local.get $hx) (i32.const 0x3e300000)) (then (return (f64.add (f64.const 1) (local.get $x)))))))
    (local.set $t (f64.mul (local.get $x) (local.get $x)))
    (local.set $c (f64.sub (local.get $x)
      (f64.mul (local.get $t)
        (f64.add (f64.const 0x1.555555555553ep-3) (f64.mul (local.get $t)
        (f64.add (f64.const -0x1.6c16c16bebd93p-9) (f64.mul (local.get $t)
        (f64.add (f64.const 0x1.1566aaf25de2cp-14) (f64.mul (local.get $t)
        (f64.add (f64.const -0x1.bbd41c5d26bf1p-20) (f64.mul (local.get $t) (f64.const 0x1.6376972bea4d0p-25))))))))))))
    (if (i32.eqz (local.get $k)) (then
      (return (f64.sub (f64.const 1)
        (f64.sub (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (local.get $c) (f64.const 2))) (local.get $x))))))
    (local.set $y (f64.sub (f64.const 1)
      (f64.sub (f64.sub (local.get $lo) (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (f64.const 2) (local.get $c))))
               (local.get $hi))))
    (if (i32.ge_s (local.get $k) (i32.const -1021)) (then
      (if (i32.eq (local.get $k) (i32.const 1024)) (then
        (return (f64.mul (f64.mul (local.get $y) (f64.const 2)) (f64.const 0x1p+1023)))))
      (return (f64.mul (local.get $y)
        (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (i32.add (i32.const 0x3ff00000) (i32.shl (local.get $k) (i32.const 20))))
                                      (i64.const 32)))))))
    (f64.mul (f64.mul (local.get $y)
                      (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (i32.add (i32.const 0x3ff00000)
                                                                               (i32.shl (i32.add (local.get $k) (i32.const 1000)) (i32.const 20))))
                                                    (i64.const 32))))
             (f64.const 0x1p-1000)))

  (func (export "exp") (param $x f64) (result f64) (call $exp (local.get $x)))

  ;; e^x on two lanes, each lane's bits those of $exp. For -707 < x <= 0, where the arguments of
  ;; these loops fall, both lanes take $exp's steps at once, as its branches there are one formula
  ;; with different k: for |x| <= 0.5 ln2, k = 0 gives hi = x, lo = 0 and 2^k = 1, the k = 0
  ;; branch's result, since (x c)/(c - 2) = -((x c)/(2 - c)) exactly; for 0.5 ln2 < |x| < 1.5 ln2
  ;; the general k, (int)(invln2 x - 0.5), is the -1 that branch sets; |x| < 2^-28 returns 1 + x.
  ;; Any other pair goes lane by lane through $exp.
  (func $exp2 (param $x v128) (result v128)
    (local $k v128) (local $ax v128) (local $small v128) (local $t v128) (local $hi v128) (local $lo v128)
    (local $c v128) (local $y v128) (local $twopk v128)
    (if (i32.eqz (i64x2.all_true (v128.and (f64x2.le (local.get $x) (f64x2.splat (f64.const 0)))
                                           (f64x2.gt (local.get $x) (f64x2.splat (f64.const -707))))))
      (then
        (return (f64x2.replace_lane 1 (f64x2.splat (call $exp (f64x2.extract_lane 0 (local.get $x))))
                                      (call $exp (f64x2.extract_lane 1 (local.get $x)))))))
    (local.set $ax (f64x2.abs (local.get $x)))
    ;; |x| <= 0.5 ln2 (high word <= 0x3fd62e42): no reduction
    (local.set $small (f64x2.lt (local.get $ax) (f64x2.splat (f64.const 0x1.62e43p-2))))
    ;; k = (int)(invln2 x - 0.5); x = hi - lo = x - k ln2
    (local.set $k (i32x4.trunc_sat_f64x2_s_zero
      (f64x2.add (f64x2.mul (f64x2.splat (f64.const 0x1.71547652b82fep+0)) (local.get $x)) (f64x2.splat (f64.const -0.5)))))
    (local.set $t (v128.bitselect (f64x2.splat (f64.const 0)) (f64x2.convert_low_i32x4_s (local.get $k)) (local.get $small)))
    (local.set $twopk (v128.bitselect (f64x2.splat (f64.const 1))
      (i64x2.shl (i64x2.add (i64x2.extend_low_i32x4_s (local.get $k)) (i64x2.splat (i64.const 1023))) (i32.const 52))
      (local.get $small)))
    (local.set $hi (f64x2.sub (local.get $x) (f64x2.mul (local.get $t) (f64x2.splat (f64.const 0x1.62e42fee00000p-1)))))
    (local.set $lo (f64x2.mul (local.get $t) (f64x2.splat (f64.const 0x1.a39ef35793c76p-33))))
    (local.set $y (f64x2.sub (local.get $hi) (local.get $lo)))
    (local.set $t (f64x2.mul (local.get $y) (local.get $y)))
    (local.set $c (f64x2.sub (local.get $y)
      (f64x2.mul (local.get $t)
        (f64x2.add (f64x2.splat (f64.const 0x1.555555555553ep-3)) (f64x2.mul (local.get $t)
        (f64x2.add (f64x2.splat (f64.const -0x1.6c16c16bebd93p-9)) (f64x2.mul (local.get $t)
        (f64x2.add (f64x2.splat (f64.const 0x1.1566aaf25de2cp-14)) (f64x2.mul (local.get $t)
        (f64x2.add (f64x2.splat (f64.const -0x1.bbd41c5d26bf1p-20))
                   (f64x2.mul (local.get $t) (f64x2.splat (f64.const 0x1.6376972bea4d0p-25)))))))))))))
    (local.set $y (f64x2.mul (local.get $twopk) (f64x2.sub (f64x2.splat (f64.const 1))
      (f64x2.sub (f64x2.sub (local.get $lo) (f64x2.div (f64x2.mul (local.get $y) (local.get $c)) (f64x2.sub (f64x2.splat (f64.const 2)) (local.get $c))))
                 (local.get $hi)))))
    ;; |x| < 2^-28: 1 + x
    (v128.bitselect (f64x2.add (f64x2.splat (f64.const 1)) (local.get $x)) (local.get $y)
                    (f64x2.lt (local.get $ax) (f64x2.splat (f64.const 0x1p-28)))))

  (func (export "exp2") (param $a f64) (param $b f64) (param $out i32)
    (v128.store (local.get $out) (call $exp2 (f64x2.replace_lane 1 (f64x2.splat (local.get $a)) (local.get $b)))))

  ;; The codes of `count` positions (f64 x, y pairs at $pos) by `P` cells (f64 centres at $cen), one
  ;; row of P f32 each at $out: softmax_k(-d2_k a1) minus softmax_k(-d2_k a2), shifted to
  ;; non-negative and normalised (Sorscher et al.'s DoG code); a2 = 0: the first softmax alone.
  ;; Scratch: 3 P f64 at $scr (squared distances, centre terms, surround terms).
  (func (export "codes") (param $cen i32) (param $P i32) (param $pos i32) (param $count i32) (param $out i32)
                         (param $a1 f64) (param $a2 f64) (param $scr i32)
    (local $r i32) (local $k i32) (local $x f64) (local $y f64) (local $dx f64) (local $dy f64) (local $d f64) (local $e f64)
    (local $nearest f64) (local $s1 f64) (local $s2 f64) (local $min f64) (local $sum f64) (local $v f64)
    (local $e1 i32) (local $e2 i32) (local $o i32) (local $dd v128) (local $ee v128)
    (local.set $e1 (i32.add (local.get $scr) (i32.shl (local.get $P) (i32.const 3))))
    (local.set $e2 (i32.add (local.get $e1) (i32.shl (local.get $P) (i32.const 3))))
    (block $br (loop $lr
      (br_if $br (i32.ge_u (local.get $r) (local.get $count)))
      (local.set $x (f64.load (i32.add (local.get $pos) (i32.shl (local.get $r) (i32.const 4)))))
      (local.set $y (f64.load offset=8 (i32.add (local.get $pos) (i32.shl (local.get $r) (i32.const 4)))))
      (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $r) (local.get $P)) (i32.const 2))))
      ;; squared distances, and the nearest
      (local.set $nearest (f64.const inf))
      (local.set $k (i32.const 0))
      (block $b1 (loop $l1
        (br_if $b1 (i32.ge_u (local.get $k) (local.get $P)))
        (local.set $dx (f64.sub (local.get $x) (f64.load (i32.add (local.get $cen) (i32.shl (local.get $k) (i32.const 4))))))
        (local.set $dy (f64.sub (local.get $y) (f64.load offset=8 (i32.add (local.get $cen) (i32.shl (local.get $k) (i32.const 4))))))
        (local.set $d (f64.add (f64.mul (local.get $dx) (local.get $dx)) (f64.mul (local.get $dy) (local.get $dy))))
        (f64.store (i32.add (local.get $scr) (i32.shl (local.get $k) (i32.const 3))) (local.get $d))
        (if (f64.lt (local.get $d) (local.get $nearest)) (then (local.set $nearest (local.get $d))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $l1)))
      ;; the two softmaxes' terms, shifted by the nearest cell's distance: two cells at a time,
      ;; then the last one; the sums still add one term after another
      (local.set $s1 (f64.const 0))
      (local.set $s2 (f64.const 0))
      (local.set $k (i32.const 0))
      (block $b2v (loop $l2v
        (br_if $b2v (i32.gt_u (i32.add (local.get $k) (i32.const 2)) (local.get $P)))
        (local.set $dd (f64x2.neg (f64x2.sub (v128.load (i32.add (local.get $scr) (i32.shl (local.get $k) (i32.const 3))))
                                             (f64x2.splat (local.get $nearest)))))
        (local.set $ee (call $exp2 (f64x2.mul (local.get $dd) (f64x2.splat (local.get $a1)))))
        (local.set $s1 (f64.add (f64.add (local.get $s1) (f64x2.extract_lane 0 (local.get $ee))) (f64x2.extract_lane 1 (local.get $ee))))
        (v128.store (i32.add (local.get $e1) (i32.shl (local.get $k) (i32.const 3))) (local.get $ee))
        (if (f64.ne (local.get $a2) (f64.const 0)) (then
          (local.set $ee (call $exp2 (f64x2.mul (local.get $dd) (f64x2.splat (local.get $a2)))))
          (local.set $s2 (f64.add (f64.add (local.get $s2) (f64x2.extract_lane 0 (local.get $ee))) (f64x2.extract_lane 1 (local.get $ee))))
          (v128.store (i32.add (local.get $e2) (i32.shl (local.get $k) (i32.const 3))) (local.get $ee))))
        (local.set $k (i32.add (local.get $k) (i32.const 2)))
        (br $l2v)))
      (block $b2 (loop $l2
        (br_if $b2 (i32.ge_u (local.get $k) (local.get $P)))
        (local.set $d (f64.sub (f64.load (i32.add (local.get $scr) (i32.shl (local.get $k) (i32.const 3)))) (local.get $nearest)))
        (local.set $e (call $exp (f64.mul (f64.neg (local.get $d)) (local.get $a1))))
        (local.set $s1 (f64.add (local.get $s1) (local.get $e)))
        (f64.store (i32.add (local.get $e1) (i32.shl (local.get $k) (i32.const 3))) (local.get $e))
        (if (f64.ne (local.get $a2) (f64.const 0)) (then
          (local.set $e (call $exp (f64.mul (f64.neg (local.get $d)) (local.get $a2))))
          (local.set $s2 (f64.add (local.get $s2) (local.get $e)))
          (f64.store (i32.add (local.get $e2) (i32.shl (local.get $k) (i32.const 3))) (local.get $e))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $l2)))
      (if (f64.eq (local.get $a2) (f64.const 0))
        (then
          (local.set $k (i32.const 0))
          (block $b3 (loop $l3
            (br_if $b3 (i32.ge_u (local.get $k) (local.get $P)))
            (f32.store (i32.add (local.get $o) (i32.shl (local.get $k) (i32.const 2)))
              (f32.demote_f64 (f64.div (f64.load (i32.add (local.get $e1) (i32.shl (local.get $k) (i32.const 3)))) (local.get $s1))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $l3))))
        (else
          ;; centre minus surround, its minimum, the sum above it, then the code
          (local.set $min (f64.const inf))
          (local.set $k (i32.const 0))
          (block $b4 (loop $l4
            (br_if $b4 (i32.ge_u (local.get $k) (local.get $P)))
            (local.set $v (f64.sub
              (f64.div (f64.load (i32.add (local.get $e1) (i32.shl (local.get $k) (i32.const 3)))) (local.get $s1))
              (f64.div (f64.load (i32.add (local.get $e2) (i32.shl (local.get $k) (i32.const 3)))) (local.get $s2))))
            (f64.store (i32.add (local.get $e1) (i32.shl (local.get $k) (i32.const 3))) (local.get $v))
            (if (f64.lt (local.get $v) (local.get $min)) (then (local.set $min (local.get $v))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $l4)))
          (local.set $sum (f64.const 0))
          (local.set $k (i32.const 0))
          (block $b5 (loop $l5
            (br_if $b5 (i32.ge_u (local.get $k) (local.get $P)))
            (local.set $sum (f64.add (local.get $sum)
              (f64.sub (f64.load (i32.add (local.get $e1) (i32.shl (local.get $k) (i32.const 3)))) (local.get $min))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $l5)))
          (local.set $k (i32.const 0))
          (block $b6 (loop $l6
            (br_if $b6 (i32.ge_u (local.get $k) (local.get $P)))
            (f32.store (i32.add (local.get $o) (i32.shl (local.get $k) (i32.const 2)))
              (f32.demote_f64 (f64.div
                (f64.sub (f64.load (i32.add (local.get $e1) (i32.shl (local.get $k) (i32.const 3)))) (local.get $min))
                (local.get $sum))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $l6)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $lr)))
  )

  ;; For `rows` rows of P logits (f32 at $Y) and target codes (f32 at $C): adds each row's
  ;; cross-entropy -sum_k c_k log softmax(y)_k to $ce, in order, and returns it; overwrites the
  ;; logits with the loss's gradient (softmax(y) sum_k c_k - c) / norm.
  (func (export "softmax_xent") (param $Y i32) (param $C i32) (param $rows i32) (param $P i32) (param $norm f64) (param $ce f64) (result f64)
    (local $row i32) (local $k i32) (local $y i32) (local $c i32) (local $end i32)
    (local $max f64) (local $sum f64) (local $lse f64) (local $csum f64) (local $t f64) (local $e v128)
    (block $br (loop $lr
      (br_if $br (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $y (i32.add (local.get $Y) (i32.shl (i32.mul (local.get $row) (local.get $P)) (i32.const 2))))
      (local.set $c (i32.add (local.get $C) (i32.shl (i32.mul (local.get $row) (local.get $P)) (i32.const 2))))
      (local.set $end (i32.shl (local.get $P) (i32.const 2)))
      (local.set $max (f64.const -inf))
      (local.set $k (i32.const 0))
      (block $b1 (loop $l1
        (br_if $b1 (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $max (f64.max (local.get $max) (f64.promote_f32 (f32.load (i32.add (local.get $y) (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l1)))
      ;; two logits at a time, then the last one; the sum still adds one term after another
      (local.set $sum (f64.const 0))
      (local.set $k (i32.const 0))
      (block $b2v (loop $l2v
        (br_if $b2v (i32.gt_u (i32.add (local.get $k) (i32.const 8)) (local.get $end)))
        (local.set $e (call $exp2 (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $y) (local.get $k))))
                                             (f64x2.splat (local.get $max)))))
        (local.set $sum (f64.add (f64.add (local.get $sum) (f64x2.extract_lane 0 (local.get $e))) (f64x2.extract_lane 1 (local.get $e))))
        (local.set $k (i32.add (local.get $k) (i32.const 8)))
        (br $l2v)))
      (block $b2 (loop $l2
        (br_if $b2 (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $sum (f64.add (local.get $sum)
          (call $exp (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $y) (local.get $k)))) (local.get $max)))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l2)))
      (local.set $lse (f64.add (local.get $max) (call $log (local.get $sum))))
      (local.set $csum (f64.const 0))
      (local.set $k (i32.const 0))
      (block $b3 (loop $l3
        (br_if $b3 (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $t (f64.promote_f32 (f32.load (i32.add (local.get $c) (local.get $k)))))
        (local.set $ce (f64.sub (local.get $ce)
          (f64.mul (local.get $t) (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $y) (local.get $k)))) (local.get $lse)))))
        (local.set $csum (f64.add (local.get $csum) (local.get $t)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l3)))
      (local.set $k (i32.const 0))
      (block $b4v (loop $l4v
        (br_if $b4v (i32.gt_u (i32.add (local.get $k) (i32.const 8)) (local.get $end)))
        (v128.store64_lane 0 (i32.add (local.get $y) (local.get $k))
          (f32x4.demote_f64x2_zero (f64x2.div
            (f64x2.sub
              (f64x2.mul (call $exp2 (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $y) (local.get $k))))
                                                (f64x2.splat (local.get $lse))))
                         (f64x2.splat (local.get $csum)))
              (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $c) (local.get $k)))))
            (f64x2.splat (local.get $norm)))))
        (local.set $k (i32.add (local.get $k) (i32.const 8)))
        (br $l4v)))
      (block $b4 (loop $l4
        (br_if $b4 (i32.ge_u (local.get $k) (local.get $end)))
        (f32.store (i32.add (local.get $y) (local.get $k))
          (f32.demote_f64 (f64.div
            (f64.sub
              (f64.mul (call $exp (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $y) (local.get $k)))) (local.get $lse))) (local.get $csum))
              (f64.promote_f32 (f32.load (i32.add (local.get $c) (local.get $k)))))
            (local.get $norm))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l4)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $lr)))
    (local.get $ce))

  ;; One step's hidden state: h = relu(drive + v W_in) for B trials of G units (f32 at $drive, $h),
  ;; inputs v (B x nIn f32 at $inp) and W_in (nIn x G f32 at $win), in f64 as the TypeScript loop
  ;; adds them (drive, then each input's term in order), two units at a time.
  (func (export "relu_inputs") (param $drive i32) (param $inp i32) (param $win i32) (param $h i32) (param $B i32) (param $G i32) (param $nIn i32)
    (local $r i32) (local $j i32) (local $q i32) (local $row i32) (local $s v128) (local $t f64) (local $G2 i32)
    (local.set $G2 (i32.and (local.get $G) (i32.const -2)))
    (block $br (loop $lr
      (br_if $br (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $row (i32.shl (i32.mul (local.get $r) (local.get $G)) (i32.const 2)))
      (local.set $j (i32.const 0))
      (block $bj (loop $lj
        (br_if $bj (i32.ge_u (local.get $j) (local.get $G2)))
        (local.set $s (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $drive) (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))))))
        (local.set $q (i32.const 0))
        (block $bq (loop $lq
          (br_if $bq (i32.ge_u (local.get $q) (local.get $nIn)))
          (local.set $s (f64x2.add (local.get $s) (f64x2.mul
            (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $inp) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $nIn)) (local.get $q)) (i32.const 2))))))
            (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $win) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $G)) (local.get $j)) (i32.const 2))))))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $lq)))
        (v128.store64_lane 0 (i32.add (local.get $h) (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
          (f32x4.demote_f64x2_zero (v128.and (local.get $s) (f64x2.gt (local.get $s) (f64x2.splat (f64.const 0))))))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $lj)))
      ;; an odd G's last unit
      (if (i32.lt_u (local.get $G2) (local.get $G)) (then
        (local.set $t (f64.promote_f32 (f32.load (i32.add (local.get $drive) (i32.add (local.get $row) (i32.shl (local.get $G2) (i32.const 2)))))))
        (local.set $q (i32.const 0))
        (block $bq1 (loop $lq1
          (br_if $bq1 (i32.ge_u (local.get $q) (local.get $nIn)))
          (local.set $t (f64.add (local.get $t) (f64.mul
            (f64.promote_f32 (f32.load (i32.add (local.get $inp) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $nIn)) (local.get $q)) (i32.const 2)))))
            (f64.promote_f32 (f32.load (i32.add (local.get $win) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $G)) (local.get $G2)) (i32.const 2))))))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $lq1)))
        (f32.store (i32.add (local.get $h) (i32.add (local.get $row) (i32.shl (local.get $G2) (i32.const 2))))
          (f32.demote_f64 (select (local.get $t) (f64.const 0) (f64.gt (local.get $t) (f64.const 0)))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $lr)))
  )

  ;; One step back through the ReLU: dpre = (dh + back) [h > 0] for n units (f32), in f64 as the
  ;; TypeScript loop adds them; without $hasBack (the last step) dh + 0.
  (func (export "relu_back") (param $dh i32) (param $back i32) (param $hasBack i32) (param $h i32) (param $dpre i32) (param $n i32)
    (local $k i32) (local $end i32) (local $g v128) (local $gs f64)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2)))
    (block $bk (loop $lk
      (br_if $bk (i32.ge_u (local.get $k) (local.get $end)))
      (local.set $g (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $dh) (local.get $k))))
        (select (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $back) (local.get $k)))) (f64x2.splat (f64.const 0)) (local.get $hasBack))))
      (v128.store64_lane 0 (i32.add (local.get $dpre) (local.get $k))
        (f32x4.demote_f64x2_zero (v128.and (local.get $g)
          (f64x2.gt (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $h) (local.get $k)))) (f64x2.splat (f64.const 0))))))
      (local.set $k (i32.add (local.get $k) (i32.const 8)))
      (br $lk)))
    (if (i32.and (local.get $n) (i32.const 1)) (then
      (local.set $gs (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $dh) (local.get $k))))
        (select (f64.promote_f32 (f32.load (i32.add (local.get $back) (local.get $k)))) (f64.const 0) (local.get $hasBack))))
      (f32.store (i32.add (local.get $dpre) (local.get $k))
        (f32.demote_f64 (select (local.get $gs) (f64.const 0) (f32.gt (f32.load (i32.add (local.get $h) (local.get $k))) (f32.const 0)))))))
  )

  ;; The input weights' gradient: gIn[q, j] += v[row, q] dpre[row, j] over rows in order (f32 sums
  ;; of f64 products, as the TypeScript loop keeps them; rows whose input is 0 skipped).
  (func (export "input_grad") (param $inp i32) (param $dpre i32) (param $gin i32) (param $rows i32) (param $G i32) (param $nIn i32)
    (local $row i32) (local $q i32) (local $j i32) (local $v f64) (local $G2 i32) (local $g i32) (local $d i32)
    (local.set $G2 (i32.and (local.get $G) (i32.const -2)))
    (block $br (loop $lr
      (br_if $br (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $q (i32.const 0))
      (block $bq (loop $lq
        (br_if $bq (i32.ge_u (local.get $q) (local.get $nIn)))
        (local.set $v (f64.promote_f32 (f32.load (i32.add (local.get $inp) (i32.shl (i32.add (i32.mul (local.get $row) (local.get $nIn)) (local.get $q)) (i32.const 2))))))
        (if (f64.ne (local.get $v) (f64.const 0)) (then
          (local.set $g (i32.add (local.get $gin) (i32.shl (i32.mul (local.get $q) (local.get $G)) (i32.const 2))))
          (local.set $d (i32.add (local.get $dpre) (i32.shl (i32.mul (local.get $row) (local.get $G)) (i32.const 2))))
          (local.set $j (i32.const 0))
          (block $bj (loop $lj
            (br_if $bj (i32.ge_u (local.get $j) (local.get $G2)))
            (v128.store64_lane 0 (i32.add (local.get $g) (i32.shl (local.get $j) (i32.const 2)))
              (f32x4.demote_f64x2_zero (f64x2.add
                (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $g) (i32.shl (local.get $j) (i32.const 2)))))
                (f64x2.mul (f64x2.splat (local.get $v)) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $d) (i32.shl (local.get $j) (i32.const 2)))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $lj)))
          (if (i32.lt_u (local.get $G2) (local.get $G)) (then
            (f32.store (i32.add (local.get $g) (i32.shl (local.get $G2) (i32.const 2)))
              (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $g) (i32.shl (local.get $G2) (i32.const 2)))))
                (f64.mul (local.get $v) (f64.promote_f32 (f32.load (i32.add (local.get $d) (i32.shl (local.get $G2) (i32.const 2)))))))))))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $lq)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $lr)))
  )
)
