cmd_Release/obj.target/cnnp_native/native/cnnp_native.o := g++ -o Release/obj.target/cnnp_native/native/cnnp_native.o ../native/cnnp_native.cc '-DNODE_GYP_MODULE_NAME=cnnp_native' '-DUSING_UV_SHARED=1' '-DUSING_V8_SHARED=1' '-DV8_DEPRECATION_WARNINGS=1' '-D_GLIBCXX_USE_CXX11_ABI=1' '-D_FILE_OFFSET_BITS=64' '-D_LARGEFILE_SOURCE' '-D__STDC_FORMAT_MACROS' '-DOPENSSL_NO_PINSHARED' '-DOPENSSL_THREADS' '-DBUILDING_NODE_EXTENSION' -I/usr/include/node -I/usr/src -I/usr/deps/openssl/config -I/usr/deps/openssl/openssl/include -I/usr/deps/uv/include -I/usr/deps/zlib -I/usr/deps/v8/include  -fPIC -pthread -Wall -Wextra -Wno-unused-parameter -m64 -O3 -fno-omit-frame-pointer -fno-rtti -std=gnu++17 -O3 -std=c++17 -fopenmp -march=x86-64-v2 -fexceptions -MMD -MF ./Release/.deps/Release/obj.target/cnnp_native/native/cnnp_native.o.d.raw   -c
Release/obj.target/cnnp_native/native/cnnp_native.o: \
 ../native/cnnp_native.cc /usr/include/node/node_api.h \
 /usr/include/node/js_native_api.h \
 /usr/include/node/js_native_api_types.h \
 /usr/include/node/node_api_types.h
../native/cnnp_native.cc:
/usr/include/node/node_api.h:
/usr/include/node/js_native_api.h:
/usr/include/node/js_native_api_types.h:
/usr/include/node/node_api_types.h:
