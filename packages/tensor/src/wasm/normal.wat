;; Normal draws by the ziggurat of random.ts's fillNormal (Marsaglia & Tsang 2000, 128 layers),
;; on the same xoroshiro128+ stream (pure-rand's: a 128-bit state as four 32-bit halves, a 32-bit
;; output), so a seed gives the same draws bit for bit, only faster. The tail and wedge tests call
;; the engine's own Math.log and Math.exp (imported), as the TypeScript does.
;; Memory: the state (s01, s00, s11, s10) at 0, the tables k, w, f (128 f64 each) at 64, 1088 and
;; 2112, the draws (f32) from 4096. `npm run build:wasm` assembles this file into normal.wasm.ts.
(module
  (import "math" "log" (func $log (param f64) (result f64)))
  (import "math" "exp" (func $exp (param f64) (result f64)))
  (memory (export "memory") 2)
  (global $s01 (mut i32) (i32.const 0))
  (global $s00 (mut i32) (i32.const 0))
  (global $s11 (mut i32) (i32.const 0))
  (global $s10 (mut i32) (i32.const 0))

  ;; one step of the generator on the globals; returns its 32-bit output
  (func $next (result i32)
    (local $out i32) (local $a0 i32) (local $a1 i32) (local $t00 i32) (local $t01 i32)
    (local.set $out (i32.add (global.get $s00) (global.get $s10)))
    (local.set $a0 (i32.xor (global.get $s10) (global.get $s00)))
    (local.set $a1 (i32.xor (global.get $s11) (global.get $s01)))
    (local.set $t00 (global.get $s00))
    (local.set $t01 (global.get $s01))
    (global.set $s00 (i32.xor (i32.xor (i32.xor (i32.shl (local.get $t00) (i32.const 24)) (i32.shr_u (local.get $t01) (i32.const 8))) (local.get $a0)) (i32.shl (local.get $a0) (i32.const 16))))
    (global.set $s01 (i32.xor (i32.xor (i32.xor (i32.shl (local.get $t01) (i32.const 24)) (i32.shr_u (local.get $t00) (i32.const 8))) (local.get $a1))
      (i32.or (i32.shl (local.get $a1) (i32.const 16)) (i32.shr_u (local.get $a0) (i32.const 16)))))
    (global.set $s10 (i32.xor (i32.shl (local.get $a1) (i32.const 5)) (i32.shr_u (local.get $a0) (i32.const 27))))
    (global.set $s11 (i32.xor (i32.shl (local.get $a0) (i32.const 5)) (i32.shr_u (local.get $a1) (i32.const 27))))
    (local.get $out))

  ;; uniform in [0, 1) from 53 bits, as pure-rand's uniformFloat64
  (func $uniform (result f64)
    (local $v1 i32)
    (local.set $v1 (i32.and (call $next) (i32.const 67108863)))
    (f64.add (f64.mul (f64.convert_i32_s (local.get $v1)) (f64.const 0x1p-26))
             (f64.mul (f64.convert_i32_s (i32.and (call $next) (i32.const 134217727))) (f64.const 0x1p-53))))

  ;; n draws times std into the f32 array at 4096, the state read from and written back to memory;
  ;; the accepted-at-once draws (~99%) keep the state in locals, the tail and wedge in the globals
  (func (export "fill") (param $n i32) (param $std f64)
    (local $i i32) (local $iz i32) (local $hz i32) (local $x f64) (local $z f64) (local $tx f64) (local $ty f64)
    (local $s01 i32) (local $s00 i32) (local $s11 i32) (local $s10 i32) (local $a0 i32) (local $a1 i32) (local $t00 i32)
    (local.set $s01 (i32.load (i32.const 0)))
    (local.set $s00 (i32.load (i32.const 4)))
    (local.set $s11 (i32.load (i32.const 8)))
    (local.set $s10 (i32.load (i32.const 12)))
    (local.set $i (i32.const 0))
    (block $end (loop $draws
      (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
      (block $got (loop $try
        (local.set $iz (i32.add (local.get $s00) (local.get $s10)))
        (local.set $a0 (i32.xor (local.get $s10) (local.get $s00)))
        (local.set $a1 (i32.xor (local.get $s11) (local.get $s01)))
        (local.set $t00 (local.get $s00))
        (local.set $s00 (i32.xor (i32.xor (i32.xor (i32.shl (local.get $t00) (i32.const 24)) (i32.shr_u (local.get $s01) (i32.const 8))) (local.get $a0)) (i32.shl (local.get $a0) (i32.const 16))))
        (local.set $s01 (i32.xor (i32.xor (i32.xor (i32.shl (local.get $s01) (i32.const 24)) (i32.shr_u (local.get $t00) (i32.const 8))) (local.get $a1))
          (i32.or (i32.shl (local.get $a1) (i32.const 16)) (i32.shr_u (local.get $a0) (i32.const 16)))))
        (local.set $s10 (i32.xor (i32.shl (local.get $a1) (i32.const 5)) (i32.shr_u (local.get $a0) (i32.const 27))))
        (local.set $s11 (i32.xor (i32.shl (local.get $a0) (i32.const 5)) (i32.shr_u (local.get $a1) (i32.const 27))))
        (local.set $iz (i32.and (local.get $iz) (i32.const 127)))
        (local.set $hz (i32.add (local.get $s00) (local.get $s10)))
        (local.set $a0 (i32.xor (local.get $s10) (local.get $s00)))
        (local.set $a1 (i32.xor (local.get $s11) (local.get $s01)))
        (local.set $t00 (local.get $s00))
        (local.set $s00 (i32.xor (i32.xor (i32.xor (i32.shl (local.get $t00) (i32.const 24)) (i32.shr_u (local.get $s01) (i32.const 8))) (local.get $a0)) (i32.shl (local.get $a0) (i32.const 16))))
        (local.set $s01 (i32.xor (i32.xor (i32.xor (i32.shl (local.get $s01) (i32.const 24)) (i32.shr_u (local.get $t00) (i32.const 8))) (local.get $a1))
          (i32.or (i32.shl (local.get $a1) (i32.const 16)) (i32.shr_u (local.get $a0) (i32.const 16)))))
        (local.set $s10 (i32.xor (i32.shl (local.get $a1) (i32.const 5)) (i32.shr_u (local.get $a0) (i32.const 27))))
        (local.set $s11 (i32.xor (i32.shl (local.get $a0) (i32.const 5)) (i32.shr_u (local.get $a1) (i32.const 27))))
        (local.set $x (f64.mul (f64.convert_i32_s (local.get $hz)) (f64.load offset=1088 (i32.shl (local.get $iz) (i32.const 3)))))
        (local.set $z (local.get $x))
        (br_if $got (f64.lt (f64.abs (f64.convert_i32_s (local.get $hz))) (f64.load offset=64 (i32.shl (local.get $iz) (i32.const 3)))))
        (global.set $s01 (local.get $s01))
        (global.set $s00 (local.get $s00))
        (global.set $s11 (local.get $s11))
        (global.set $s10 (local.get $s10))
        (if (i32.eqz (local.get $iz))
          (then
            ;; the tail beyond r
            (loop $tail
              (local.set $tx (f64.div (f64.neg (call $log (f64.sub (f64.const 1) (call $uniform)))) (f64.const 3.442619855899)))
              (local.set $ty (f64.neg (call $log (f64.sub (f64.const 1) (call $uniform)))))
              (br_if $tail (f64.lt (f64.add (local.get $ty) (local.get $ty)) (f64.mul (local.get $tx) (local.get $tx)))))
            (local.set $z (select
              (f64.add (f64.const 3.442619855899) (local.get $tx))
              (f64.sub (f64.const -3.442619855899) (local.get $tx))
              (i32.gt_s (local.get $hz) (i32.const 0)))))
          (else
            ;; the wedge: accepted when f[iz] + u (f[iz-1] - f[iz]) < exp(-x^2 / 2)
            (local.set $tx (f64.add (f64.load offset=2112 (i32.shl (local.get $iz) (i32.const 3)))
              (f64.mul (call $uniform)
                (f64.sub (f64.load offset=2104 (i32.shl (local.get $iz) (i32.const 3))) (f64.load offset=2112 (i32.shl (local.get $iz) (i32.const 3)))))))
            (local.set $hz (f64.lt (local.get $tx) (call $exp (f64.mul (f64.mul (f64.const -0.5) (local.get $x)) (local.get $x)))))))
        (local.set $s01 (global.get $s01))
        (local.set $s00 (global.get $s00))
        (local.set $s11 (global.get $s11))
        (local.set $s10 (global.get $s10))
        ;; the tail always ends the draw; the wedge when it accepted (hz then holds the test)
        (br_if $got (i32.eqz (local.get $iz)))
        (br_if $got (local.get $hz))
        (br $try)))
      (f32.store offset=4096 (i32.shl (local.get $i) (i32.const 2)) (f32.demote_f64 (f64.mul (local.get $std) (local.get $z))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $draws)))
    (i32.store (i32.const 0) (local.get $s01))
    (i32.store (i32.const 4) (local.get $s00))
    (i32.store (i32.const 8) (local.get $s11))
    (i32.store (i32.const 12) (local.get $s10)))
)
