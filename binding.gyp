{
  "targets": [
    {
      "target_name": "cnnp_native",
      "sources": ["native/cnnp_native.cc", "native/ops.cc", "native/net.cc", "<!@(ls native/layers/*.cc)"],
      "cflags_cc": ["-O3", "-std=c++17", "-fopenmp", "-march=x86-64-v2", "-ffp-contract=off", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-ffp-contract=off"] },
          "include_dirs": ["/opt/homebrew/include", "/usr/local/include"],
          "libraries": ["-L/opt/homebrew/lib", "-L/usr/local/lib"]
        }]
      ]
    }
  ]
}
