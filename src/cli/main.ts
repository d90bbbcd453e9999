process.stdout.write('marginalia: not yet\n');
