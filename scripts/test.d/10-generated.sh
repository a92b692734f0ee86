# Generated files (mocks, man pages) must match their sources.
make -s check-generated
